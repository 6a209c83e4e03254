"""A database that has been running for months: many stored articles, in bulk.

Rows go into the real schema (migrated by `Database`) through SQLAlchemy Core inserts, the way the
store would have left them: matched, with their seen URLs, realistic text lengths and content
fingerprints from `crawler.dedupe.fingerprint`. The fingerprint is taken over each article's
title and opening paragraphs (its lead is exact: the lead hash covers the first 40 words only);
hashing every full text would take minutes per 100,000 rows and changes nothing the benchmark
measures, which is how lookups and memory behave with that many distinct fingerprints.
"""

from __future__ import annotations

import random
from datetime import timedelta

from sqlalchemy import insert

from bench.outlets import _paragraphs
from bench.runonce import Workspace
from crawler.dedupe import fingerprint
from newsradar.database import Article, SeenUrl, utcnow
from newsradar.demo.content import SAMPLE_ARTICLES

BATCH = 2_000
OLD_OUTLETS = 300  # outlets the stored articles came from (not those of the crawl measured)


def populate(workspace: Workspace, count: int, seed: int = 7) -> None:
    """Migrate the workspace's database and fill it with ``count`` stored articles."""
    db = workspace.prepare_database()
    rng = random.Random(seed)
    paragraphs = _paragraphs()
    now = utcnow()
    try:
        for start in range(0, count, BATCH):
            articles, seen = [], []
            for number in range(start, min(start + BATCH, count)):
                source = SAMPLE_ARTICLES[number % len(SAMPLE_ARTICLES)]
                body = rng.sample(paragraphs, rng.randint(5, 12))
                lead = f"Report {number} from the archive. {body[0]}"
                text = "\n\n".join([lead, *body[1:]])
                print_ = fingerprint(f"{lead} {body[1]}")
                outlet = f"archive{number % OLD_OUTLETS}"
                url = f"https://archive{number % OLD_OUTLETS}.example.org/{number}/{source.slug}/"
                fetched = now - timedelta(minutes=(count - number) * 2)
                articles.append(
                    {
                        "id": number + 1,
                        "outlet_id": outlet,
                        "url": url,
                        "canonical_url": url,
                        "title": f"{source.title} ({number})",
                        "author": source.author,
                        "published": fetched - timedelta(hours=1),
                        "language": "en",
                        "text": text,
                        "fingerprint": print_.simhash,
                        **{f"fp_band{i}": band for i, band in enumerate(print_.bands)},
                        "lead": print_.lead,
                        "fetched_at": fetched,
                        "alertable": False,
                        "matched_at": fetched,
                    }
                )
                seen.append(
                    {
                        "url": url,
                        "outlet_id": outlet,
                        "article_id": number + 1,
                        "first_seen": fetched,
                        "last_seen": fetched,
                    }
                )
            with db.engine.begin() as connection:
                connection.execute(insert(Article), articles)
                connection.execute(insert(SeenUrl), seen)
    finally:
        db.close()
