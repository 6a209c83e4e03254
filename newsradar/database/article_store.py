"""The storage end of the crawl: each extracted article is stored once, whatever URL it came by.

An article is the same as one already stored when its canonical URL is known, or when its content
fingerprint is near a stored one (the same story under a second URL, or re-served with other
clutter). Either way its URLs are remembered so they are not fetched again; nothing alerts twice.
Articles older than the backfill window are stored silently: a new outlet's back catalogue, or an
old story that reappears, never floods subscribers.

A page without article text (a video, a gallery, an error page served with 200) is not fetched
again before `TEXTLESS_RETRY[0]` has passed, then `TEXTLESS_RETRY[1]`, and after that counts as
seen: a page empty for a moment does not lose its article, and one that is always empty is not
fetched on every crawl, nor does it keep its outlet's feed from being asked with the validators of
the last read (so it is fetched again when due and listed again). Only pages whose outlet had
text from other pages in the same crawl are held back this way: when none had, the outlet's layout
has likely changed, and every page is fetched again on each crawl until it has text.

The seen-URL store stays bounded: a URL a discovery source lists again is refreshed (one batch
update per crawl), and one nobody listed for `crawl.seen_url_ttl` is forgotten. Should it turn up
again it is fetched once more and recognised by its stored article (canonical URL or content
fingerprint), so it never alerts twice.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, bindparam, delete, insert, literal, or_, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from crawler.dedupe import Fingerprint, canonical_url, fingerprint
from crawler.items import ArticleItem
from newsradar.database import (
    Article,
    Database,
    SeenUrl,
    TextlessPage,
    rows_changed,
    upsert,
    utcnow,
)
from newsradar.database.advisory_locks import lock_key
from newsradar.database.in_lists import in_lists

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class BackfillPolicy:
    """Which new articles may alert."""

    window: dict[str, timedelta]  # per outlet
    first_crawl: frozenset[str]  # outlets never crawled before: undated articles stay silent

    def alertable(self, outlet_id: str, published: datetime | None, now: datetime) -> bool:
        if published is None:
            return outlet_id not in self.first_crawl
        return published >= now - self.window[outlet_id]


# The most of an article's text that is stored (about 30,000 words, longer than any article):
# a page of megabytes of text costs no more than this in the database, in matching and in
# memory. What is cut is marked at the end, so a reader sees the text is not whole.
MAX_TEXT_CHARS = 200_000
TRUNCATION_MARK = "\n\n[text cut: longer than 200,000 characters]"


def capped_text(text: str) -> str:
    """The text, or its first MAX_TEXT_CHARS characters cut at a paragraph or word end and
    marked."""
    if len(text) <= MAX_TEXT_CHARS:
        return text
    head = text[:MAX_TEXT_CHARS]
    end = max(head.rfind("\n"), head.rfind(" "))
    return (head[:end] if end > MAX_TEXT_CHARS // 2 else head).rstrip() + TRUNCATION_MARK


# How long a page fetched without article text waits before each further fetch; once these are
# used up it counts as seen.
TEXTLESS_RETRY = (timedelta(hours=1), timedelta(hours=12))


class ArticleStore:
    """`on_stored` is called after each transaction that stored a new article: a long-running
    process matches it then, while the rest of its outlet's crawl goes on."""

    def __init__(
        self,
        db: Database,
        policy: BackfillPolicy,
        on_stored: Callable[[], None] | None = None,
    ) -> None:
        self.db = db
        self.policy = policy
        self.on_stored = on_stored
        self._listed_again: set[str] = set()

    def known_urls(self, urls: Collection[str]) -> set[str]:
        """Which of these canonical URLs are not to be fetched: those that led to a stored article
        (they count as listed again), and pages without text waiting for their next fetch."""
        known: set[str] = set()
        waiting: set[str] = set()
        now = utcnow()
        with self.db.session() as session:
            for batch in in_lists(urls):
                # One round trip for both tables.
                for url, seen in session.execute(_KNOWN_URLS, {"urls": batch, "now": now}):
                    (known if seen else waiting).add(url)
        self._listed_again |= known
        return known | waiting

    def note_textless(self, outlet_id: str, pages: Collection[tuple[str, str]]) -> None:
        """Pages (requested and final URL) came without article text: when to fetch each
        again, or, its tries used up, that it is seen for good."""
        now = utcnow()
        with self.db.session() as session, session.begin():
            for requested, final in pages:
                key = canonical_url(requested)
                row = session.get(TextlessPage, key)
                attempts = (row.attempts if row is not None else 0) + 1
                if attempts <= len(TEXTLESS_RETRY):
                    retry_after = now + TEXTLESS_RETRY[attempts - 1]
                    values = {"attempts": attempts, "retry_after": retry_after}
                    upsert(
                        session,
                        TextlessPage,
                        [{"url": key, "outlet_id": outlet_id, **values}],
                        update=tuple(values),
                    )
                    continue
                if row is not None:
                    session.delete(row)
                _remember(session, {key, canonical_url(final)}, outlet_id, None, now)

    def refresh_seen(self) -> int:
        """Mark the known URLs discovery listed in this crawl as seen now; how many."""
        urls, self._listed_again = self._listed_again, set()
        now = utcnow()
        with self.db.session() as session, session.begin():
            for batch in in_lists(urls):
                session.execute(update(SeenUrl).where(SeenUrl.url.in_(batch)).values(last_seen=now))
        return len(urls)

    def finish(self, ttl: timedelta) -> int:
        """End of a crawl: refresh what was listed again, forget what expired; how many expired."""
        self.refresh_seen()
        return expire_seen_urls(self.db, ttl)

    def add(self, item: ArticleItem) -> Article | None:
        """Store the article; None when it duplicates one already stored."""
        return self.add_many([item])[0]

    def add_many(self, items: Sequence[ArticleItem]) -> list[Article | None]:
        """Store articles in one transaction, each checked against those before it; None for
        each duplicate. Any failure fails them all."""
        now = utcnow()
        prepared = []
        for item in items:
            item.text = capped_text(item.text)
            urls = {canonical_url(u) for u in (item.url, item.requested_url)}
            urls.add(item.canonical_url or canonical_url(item.url))
            prepared.append((item, fingerprint(item.text), urls))
        try:
            with self.db.session() as session, session.begin():
                _lock_fingerprints(session, [entry[1] for entry in prepared])
                stored = [self._add(session, *entry, now) for entry in prepared]
        except IntegrityError:
            if len(items) > 1:
                raise  # which one it was shows when each is stored on its own
            return [None]  # another worker stored the same canonical URL a moment ago
        if self.on_stored is not None and any(article is not None for article in stored):
            self.on_stored()
        return stored

    def _add(
        self,
        session: Session,
        item: ArticleItem,
        print_: Fingerprint,
        urls: set[str],
        now: datetime,
    ) -> Article | None:
        existing = _same_article(session, item.canonical_url or "", print_)
        if existing is not None:
            _remember(session, urls, item.outlet_id, existing, now)
            return None
        published = min(item.published, now) if item.published else None
        values = {
            "outlet_id": item.outlet_id,
            "url": item.url,
            "canonical_url": item.canonical_url,
            "title": item.title,
            "author": item.author,
            "published": published,
            "language": item.language,
            "text": item.text,
            "fingerprint": print_.simhash,
            **{f"fp_band{i}": band for i, band in enumerate(print_.bands)},
            "lead": print_.lead,
            "fetched_at": now,
            "alertable": self.policy.alertable(item.outlet_id, published, now),
            "matched_at": None,
        }
        # A plain INSERT: the ORM's unit of work costs more than the row itself here.
        key = session.connection().execute(_INSERT_ARTICLE, values).inserted_primary_key
        assert key is not None  # a single-row INSERT always reports its key
        article_id = key[0]
        _remember(session, urls, item.outlet_id, article_id, now)
        return Article(id=article_id, **values)


_INSERT_ARTICLE = insert(Article)
# Prebuilt, so that each article costs a cached statement, not a new one.
_SAME_ARTICLE = select(Article.id, Article.canonical_url, Article.fingerprint, Article.lead).where(
    or_(
        Article.canonical_url == bindparam("canonical"),
        Article.lead == bindparam("lead"),
        *(getattr(Article, f"fp_band{i}") == bindparam(f"band{i}") for i in range(4)),
    )
)


# Namespace of the advisory locks taken on fingerprints (pg_advisory_xact_lock(namespace, key)).
_FINGERPRINT_LOCKS = lock_key("newsradar:article-print")
_LEAD_KEYS = 4 << 16  # band keys are band index << 16 | band value; lead keys come after
_LOCK_KEYS = text(
    "SELECT pg_advisory_xact_lock(:namespace, k) FROM unnest(CAST(:keys AS integer[])) AS k"
)


def _lock_fingerprints(session: Session, prints: Sequence[Fingerprint]) -> None:
    """On PostgreSQL, hold a lock per fingerprint band and lead until the transaction ends.

    Two workers storing the same story under two URLs at once would each find no stored copy
    and both insert it; near copies share a band or their lead, so the second waits for the
    first and then finds it. Keys are taken in order, so two stores never wait on each other.
    SQLite has one writer at a time and needs none of this."""
    if session.get_bind().dialect.name != "postgresql":
        return
    keys = {(i << 16) | band for p in prints for i, band in enumerate(p.bands)}
    keys |= {_LEAD_KEYS + int(p.lead[:7], 16) for p in prints}
    session.execute(_LOCK_KEYS, {"namespace": _FINGERPRINT_LOCKS, "keys": sorted(keys)})


def _same_article(session: Session, canonical: str, print_: Fingerprint) -> int | None:
    """The stored article with this canonical URL, else one with a near fingerprint or the same
    lead (one query: every condition is indexed)."""
    candidates = (
        session.connection()
        .execute(
            _SAME_ARTICLE,
            {
                "canonical": canonical,
                "lead": print_.lead,
                **{f"band{i}": band for i, band in enumerate(print_.bands)},
            },
        )
        .all()
    )
    for article_id, url, _simhash, _lead in candidates:
        if url == canonical:
            return article_id
    for article_id, _url, simhash, lead in candidates:
        if lead == print_.lead or print_.near(simhash):
            return article_id
    return None


def _remember(
    session: Session, urls: set[str], outlet_id: str, article_id: int | None, now: datetime
) -> None:
    upsert(
        session,
        SeenUrl,
        [
            {
                "url": url,
                "outlet_id": outlet_id,
                "article_id": article_id,
                "first_seen": now,
                "last_seen": now,
            }
            for url in sorted(urls)
        ],
        update=("last_seen",),
    )


_KNOWN_URLS = (
    select(SeenUrl.url, literal(True))
    .where(SeenUrl.url.in_(bindparam("urls", expanding=True)))
    .union_all(
        select(TextlessPage.url, literal(False)).where(
            TextlessPage.url.in_(bindparam("urls", expanding=True)),
            TextlessPage.retry_after > bindparam("now"),
        )
    )
)


def expire_seen_urls(db: Database, ttl: timedelta) -> int:
    """Forget URLs no discovery source listed for `ttl` (rows from before `last_seen` existed
    count from when they were first seen), and pages without text due again for longer than
    that (forgetting one costs at most one fetch)."""
    cutoff = utcnow() - ttl
    with db.session() as session, session.begin():
        result = session.execute(
            delete(SeenUrl).where(
                or_(
                    SeenUrl.last_seen < cutoff,
                    and_(SeenUrl.last_seen.is_(None), SeenUrl.first_seen < cutoff),
                )
            )
        )
        session.execute(delete(TextlessPage).where(TextlessPage.retry_after < cutoff))
    return rows_changed(result)
