"""What discovery keeps between crawls: validators (ETag, Last-Modified) of feeds, sitemaps and
listing pages, and each host's robots.txt.

The spider asks each discovery URL conditionally with what it answered last time; an unchanged
source answers 304 and costs neither parsing nor article requests. robots.txt is read again once a
day (`crawl.robots_ttl`), not on every crawl: an idle cycle then costs one request per source.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from crawler.crawl_context import Validators
from newsradar.database import (
    Database,
    DiscoveryCache,
    RobotsCache,
    SeenUrl,
    TextlessPage,
    upsert,
    utcnow,
)
from newsradar.database.in_lists import in_lists


def load_validators(db: Database, outlet_ids: Collection[str]) -> dict[str, Validators]:
    """The stored validators of these outlets' discovery URLs, by URL: those of a read whose
    new article pages (read by a worker, fetched by any) are all known by now. Until they are,
    the source is read in full, so a page that failed is listed, and fetched, again."""
    with db.session() as session:
        rows = list(
            session.scalars(
                select(DiscoveryCache).where(DiscoveryCache.outlet_id.in_(list(outlet_ids)))
            )
        )
        pending = {url for row in rows for url in row.pending_urls or ()}
        known = _known(session, pending)
        return {
            row.url: Validators(row.url, row.outlet_id, row.etag, row.last_modified)
            for row in rows
            if known.issuperset(row.pending_urls or ())
        }


def _known(session: Session, urls: Collection[str]) -> set[str]:
    """Which of these URLs led to a stored article or were noted as pages without text."""
    known: set[str] = set()
    for batch in in_lists(urls):
        known.update(session.scalars(select(SeenUrl.url).where(SeenUrl.url.in_(batch))))
        known.update(session.scalars(select(TextlessPage.url).where(TextlessPage.url.in_(batch))))
    return known


def save_validators(db: Database, validators: Sequence[Validators]) -> None:
    """Store what the sources answered in a crawl that finished (one transaction)."""
    now = utcnow()
    rows = [
        {
            "url": item.url,
            "outlet_id": item.outlet_id,
            "etag": _fits(item.etag, 512),
            "last_modified": _fits(item.last_modified, 64),
            "checked_at": now,
            "pending_urls": list(item.pending) or None,
        }
        for item in {item.url: item for item in validators}.values()  # the last answer counts
    ]
    with db.session() as session, session.begin():
        upsert(
            session,
            DiscoveryCache,
            rows,
            update=("outlet_id", "etag", "last_modified", "checked_at", "pending_urls"),
        )


def load_robots(db: Database, netlocs: Collection[str], ttl: timedelta) -> dict[str, bytes]:
    """The robots.txt bodies of these hosts fetched less than `ttl` ago."""
    with db.session() as session:
        rows = session.execute(
            select(RobotsCache.netloc, RobotsCache.body).where(
                RobotsCache.netloc.in_(sorted(netlocs)), RobotsCache.fetched_at > utcnow() - ttl
            )
        )
        return {netloc: body for netloc, body in rows}


def save_robots(db: Database, fetched: Mapping[str, bytes]) -> None:
    now = utcnow()
    rows = [{"netloc": netloc, "body": body, "fetched_at": now} for netloc, body in fetched.items()]
    with db.session() as session, session.begin():
        upsert(session, RobotsCache, rows, update=("body", "fetched_at"))


def _fits(value: str | None, limit: int) -> str | None:
    """A validator is sent back verbatim or not at all: a cut one would never match."""
    return value if value and len(value) <= limit else None
