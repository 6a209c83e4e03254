"""An outlet's entry in `config/outlets.yaml`: its default id, its YAML, and adding it to the
file with comments and layout kept (a round-trip YAML library rewrites only what it adds)."""

from __future__ import annotations

import io
import os
import re
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from urllib.parse import urlsplit

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.scalarstring import SingleQuotedScalarString
from ruamel.yaml.util import load_yaml_guess_indent

from crawler.dedupe import canonical_url
from newsradar.config import Outlet
from newsradar.config_yaml import read_bounded

URL_FIELDS = ("feeds", "sitemaps", "listing_pages")
_NOT_ID = re.compile(r"[^a-z0-9]+")
_GENERIC_LABELS = frozenset({"www", "com", "org", "net", "co", "uk", "info", "news", "blog"})


class EntryRefused(Exception):
    """The entry cannot be added; the message is one line saying why and what to do."""


def derive_id(url: str) -> str:
    """An id from the host name: `www.warontherocks.com` -> `warontherocks`; an address keeps
    its port (`127.0.0.2:8080` -> `127-0-0-2-8080`), as several outlets may share it."""
    parts = urlsplit(url)
    host = (parts.hostname or "outlet").lower()
    if re.fullmatch(r"[\d.]+|\[?[0-9a-f:]+\]?", host):
        words = [*_NOT_ID.split(host), str(parts.port or "")]
    else:
        labels = host.split(".")
        words = [w for w in labels[:-1] if w not in _GENERIC_LABELS] or labels[:1]
    ident = "-".join(w for w in words if w).strip("-")
    return _NOT_ID.sub("-", ident)[:60].strip("-") or "outlet"


def entry_map(entry: Mapping[str, object]) -> CommentedMap:
    """The entry as the shipped file writes one: lists of URLs in flow style, the pattern quoted."""
    mapping = CommentedMap()
    for key, value in entry.items():
        if isinstance(value, list):
            seq = CommentedSeq(value)
            seq.fa.set_flow_style()
            mapping[key] = seq
        elif key == "article_url_pattern" and isinstance(value, str):
            mapping[key] = SingleQuotedScalarString(value)
        else:
            mapping[key] = value
    return mapping


def entry_yaml(entry: Mapping[str, object]) -> str:
    """The entry as it goes under `outlets:`."""
    yaml = _yaml(2, 2)
    out = io.StringIO()
    yaml.dump(CommentedSeq([entry_map(entry)]), out)
    return out.getvalue()


def check_new(entry: Mapping[str, object], home_url: str, outlets: Sequence[Outlet]) -> None:
    """Refuses an id or a URL that an outlet of the config already has."""
    ident = str(entry["id"])
    for outlet in outlets:
        if outlet.id == ident:
            raise EntryRefused(
                f"outlet id {ident!r} is already in outlets.yaml ({outlet.name}); "
                "give another with --id"
            )
    given = {_same_page(u): u for u in (home_url, *_urls(entry))}
    for outlet in outlets:
        for configured in (*outlet.feeds, *outlet.sitemaps, *outlet.listing_pages):
            url = given.get(_same_page(configured))
            if url is not None:
                raise EntryRefused(
                    f"{url} is already configured for outlet {outlet.id!r} ({outlet.name}) as "
                    f"{configured}; nothing written (edit that outlet instead)"
                )


def _same_page(url: str) -> str:
    """Where a URL points, whichever way it is written: its canonical form (host case, default
    port, tracking parameters) without the scheme, a leading `www.` or a trailing slash, since
    `http://example.org` and `https://www.example.org/` are one site's home page."""
    parts = urlsplit(canonical_url(url))
    host = parts.netloc.removeprefix("www.")
    return host + parts.path.rstrip("/") + (f"?{parts.query}" if parts.query else "")


def add_to_file(path: Path, entry: Mapping[str, object], note: str) -> None:
    """Appends the entry under `outlets:` with `note` as a comment above it, everything else in
    the file left as it was."""
    data, indent, offset = None, 4, 2
    if path.exists():
        text = read_bounded(path)
        _, indent, offset = load_yaml_guess_indent(text)
        data = _yaml(indent or 2, offset or 0).load(text)
    if data is None:
        data = CommentedMap()
    if not isinstance(data, CommentedMap):
        raise EntryRefused(f"{path}: expected a mapping with 'outlets:'; fix the file first")
    outlets = data.get("outlets")
    if outlets is None:
        outlets = data["outlets"] = CommentedSeq()
    if not isinstance(outlets, CommentedSeq):
        raise EntryRefused(f"{path}: 'outlets:' is not a list; fix the file first")
    outlets.append(entry_map(entry))
    outlets.yaml_set_comment_before_after_key(
        len(outlets) - 1, before=f"\n{note}", indent=offset or 0
    )
    yaml = _yaml(indent or 2, offset or 0)
    out = io.StringIO()
    yaml.dump(data, out)
    _replace(path, out.getvalue())


def _yaml(indent: int, offset: int) -> YAML:
    yaml = YAML()
    yaml.preserve_quotes = True
    yaml.width = 4096  # long URLs and patterns stay on one line
    mapping = max(indent - offset, 2) if offset else indent
    yaml.indent(mapping=mapping, sequence=max(indent, offset + 2), offset=offset)
    return yaml


def _replace(path: Path, text: str) -> None:
    """Written next to the file and moved over it: a crash leaves the old file or the new one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", text=True)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
        if path.exists():
            os.chmod(temporary, path.stat().st_mode & 0o777)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _urls(entry: Mapping[str, object]) -> Iterable[str]:
    for key in URL_FIELDS:
        value = entry.get(key)
        if isinstance(value, list):
            yield from (str(v) for v in value)
