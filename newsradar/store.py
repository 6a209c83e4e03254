"""The storage end of the crawl: each extracted article is stored once, whatever URL it came by.

An article is the same as one already stored when its canonical URL is known, or when its content
fingerprint is near a stored one (the same story under a second URL, or re-served with other
clutter). Either way its URLs are remembered so they are not fetched again; nothing alerts twice.
Articles older than the backfill window are stored silently: a new outlet's back catalogue, or an
old story that reappears, never floods subscribers.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from crawler.dedupe import Fingerprint, canonical_url, fingerprint
from crawler.items import ArticleItem
from newsradar.storage import Article, Database, SeenUrl, utcnow


@dataclass(frozen=True)
class BackfillPolicy:
    """Which new articles may alert."""

    window: dict[str, timedelta]  # per outlet
    first_crawl: frozenset[str]  # outlets never crawled before: undated articles stay silent

    def alertable(self, outlet_id: str, published: datetime | None, now: datetime) -> bool:
        if published is None:
            return outlet_id not in self.first_crawl
        return published >= now - self.window[outlet_id]


class ArticleStore:
    def __init__(self, db: Database, policy: BackfillPolicy) -> None:
        self.db = db
        self.policy = policy

    def is_known(self, url: str) -> bool:
        with self.db.session() as session:
            return session.get(SeenUrl, canonical_url(url)) is not None

    def add(self, item: ArticleItem) -> Article | None:
        """Store the article; None when it duplicates one already stored."""
        now = utcnow()
        print_ = fingerprint(item.text)
        urls = {canonical_url(u) for u in (item.url, item.requested_url)}
        urls.add(item.canonical_url or canonical_url(item.url))
        try:
            return self._add(item, print_, urls, now)
        except IntegrityError:
            return None  # another worker stored the same canonical URL a moment ago

    def _add(
        self, item: ArticleItem, print_: Fingerprint, urls: set[str], now: datetime
    ) -> Article | None:
        with self.db.session() as session, session.begin():
            existing = self._same_article(session, item.canonical_url or "", print_)
            if existing is not None:
                self._remember(session, urls, item.outlet_id, existing.id)
                return None
            published = min(item.published, now) if item.published else None
            article = Article(
                outlet_id=item.outlet_id,
                url=item.url,
                canonical_url=item.canonical_url,
                title=item.title,
                author=item.author,
                published=published,
                language=item.language,
                text=item.text,
                fingerprint=print_.simhash,
                **{f"fp_band{i}": band for i, band in enumerate(print_.bands)},
                lead=print_.lead,
                fetched_at=now,
                alertable=self.policy.alertable(item.outlet_id, published, now),
            )
            session.add(article)
            session.flush()
            self._remember(session, urls, item.outlet_id, article.id)
            return article

    @staticmethod
    def _same_article(session: Session, canonical: str, print_: Fingerprint) -> Article | None:
        found = session.scalar(select(Article).where(Article.canonical_url == canonical))
        if found is not None:
            return found
        bands = print_.bands
        candidates = session.execute(
            select(Article.id, Article.fingerprint, Article.lead).where(
                or_(
                    Article.lead == print_.lead,
                    Article.fp_band0 == bands[0],
                    Article.fp_band1 == bands[1],
                    Article.fp_band2 == bands[2],
                    Article.fp_band3 == bands[3],
                )
            )
        )
        for article_id, simhash, lead in candidates:
            if lead == print_.lead or print_.near(simhash):
                return session.get(Article, article_id)
        return None

    @staticmethod
    def _remember(session: Session, urls: set[str], outlet_id: str, article_id: int) -> None:
        for url in urls:
            if session.get(SeenUrl, url) is None:
                session.add(SeenUrl(url=url, outlet_id=outlet_id, article_id=article_id))


class StorePipeline:
    """Scrapy item pipeline handing extracted articles to the spider's `store` (an ArticleStore)."""

    def process_item(self, item: ArticleItem, spider: Any) -> ArticleItem:
        run = spider.runs[item.outlet_id]
        if spider.store.add(item) is None:
            run.duplicates += 1
        else:
            run.articles += 1
        return item
