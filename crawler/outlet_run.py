"""One outlet's share of a crawl: what went right and wrong, so one broken outlet is reported
while the others go on."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class OutletRun:
    outlet_id: str
    sources_ok: int = 0
    sources_unchanged: int = 0  # answered 304: nothing new, nothing parsed
    source_errors: list[str] = field(default_factory=list)
    candidates: int = 0
    new_urls: int = 0
    pages_fetched: int = 0
    page_errors: list[str] = field(default_factory=list)
    # Pages without article text, as (requested, final) URLs.
    textless: list[tuple[str, str]] = field(default_factory=list)
    textless_noted: int = 0  # of those, noted to be fetched again when due
    text_chars: list[int] = field(default_factory=list)  # body length of each page with text
    articles: int = 0
    duplicates: int = 0
    capped: bool = False  # more new URLs than one crawl fetches: the rest wait for the next
    # Which of the outlet's budgets ran out (requests, bytes, time); it stopped there.
    budget_exhausted: str | None = None

    @property
    def pages_without_text(self) -> int:
        return len(self.textless)

    @property
    def active(self) -> bool:
        """Anything happened for this outlet (a worker records health only for these)."""
        return bool(self.sources_ok or self.source_errors or self.pages_fetched or self.page_errors)

    @property
    def complete(self) -> bool:
        """Every new page was stored, recognised, or noted as without text: nothing was left
        behind that a conditional GET next time would hide."""
        handled = self.articles + self.duplicates + self.textless_noted
        stopped = self.page_errors or self.capped or self.budget_exhausted
        return handled == self.new_urls and not stopped

    @property
    def failed(self) -> bool:
        """Every source failed, there were new articles and not one of their pages came, or the
        outlet spent its budget (what it got is kept, but it is broken or hostile)."""
        if self.budget_exhausted is not None:
            return True
        nothing_discovered = self.sources_ok == 0 and bool(self.source_errors)
        no_page_came = self.new_urls > 0 and self.pages_fetched == 0 and bool(self.page_errors)
        return nothing_discovered or no_page_came

    @property
    def budget_summary(self) -> str:
        return f"budget exhausted: {self.budget_exhausted} per run spent"

    @property
    def error_summary(self) -> str | None:
        errors = self.source_errors + self.page_errors
        if self.budget_exhausted is not None:
            more = f" ({len(errors)} requests not made or failed)" if errors else ""
            return self.budget_summary + more
        if not errors:
            return None
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        return errors[0] + more
