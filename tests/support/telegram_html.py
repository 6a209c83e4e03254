"""Telegram's HTML parse mode, checked as strictly as the Bot API does.

The local Bot API server uses this so that a message Telegram would refuse is refused in tests
too, with the same kind of "can't parse entities" error.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field

MAX_MESSAGE_UTF16 = 4096

_START_TAG = re.compile(
    r"<([a-zA-Z][a-zA-Z0-9-]*)"
    r"((?:\s+[a-zA-Z][a-zA-Z0-9_-]*(?:\s*=\s*(?:\"[^\"]*\"|'[^']*'|[^\s\"'>]+))?)*)"
    r"\s*/?>"
)
_END_TAG = re.compile(r"</([a-zA-Z][a-zA-Z0-9-]*)\s*>")
_ATTRIBUTE = re.compile(
    r"([a-zA-Z][a-zA-Z0-9_-]*)(?:\s*=\s*(?:\"([^\"]*)\"|'([^']*)'|([^\s\"'>]+)))?"
)
_ENTITY = re.compile(r"&(?:(lt|gt|amp|quot)|#([0-9]{1,7})|#[xX]([0-9a-fA-F]{1,6}));")

_ENTITY_TYPES = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
    "a": "text_link",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
}
_NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}


class HtmlParseError(ValueError):
    """The text is not valid Telegram HTML; the message is Telegram's error description."""


def utf16_length(text: str) -> int:
    """Length as Telegram counts it: UTF-16 code units."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


@dataclass
class _OpenTag:
    name: str
    attributes: dict[str, str]
    offset: int


@dataclass
class ParsedMessage:
    text: str
    entities: list[dict] = field(default_factory=list)


def parse_html(source: str) -> ParsedMessage:
    """Strip tags and decode entities; raise HtmlParseError where Telegram would answer 400."""
    out: list[str] = []
    length = 0  # UTF-16 units emitted so far
    stack: list[_OpenTag] = []
    entities: list[dict] = []
    i = 0
    while i < len(source):
        char = source[i]
        if char == "<":
            i, length = _tag(source, i, stack, entities, length)
        elif char == "&":
            match = _ENTITY.match(source, i)
            if match is None:
                raise HtmlParseError(
                    "Bad Request: can't parse entities: Can't find end of the entity starting "
                    f"at byte offset {_byte_offset(source, i)}"
                )
            decoded = _decode_entity(match, source, i)
            out.append(decoded)
            length += utf16_length(decoded)
            i = match.end()
        else:
            out.append(char)
            length += utf16_length(char)
            i += 1
    if stack:
        raise HtmlParseError(
            "Bad Request: can't parse entities: Can't find end tag corresponding to start tag "
            f'"{stack[-1].name}"'
        )
    entities.sort(key=lambda entity: (entity["offset"], -entity["length"]))
    return ParsedMessage(text="".join(out), entities=entities)


def _tag(
    source: str, i: int, stack: list[_OpenTag], entities: list[dict], length: int
) -> tuple[int, int]:
    end = _END_TAG.match(source, i)
    if end is not None:
        name = end.group(1).lower()
        if not stack:
            raise HtmlParseError(
                "Bad Request: can't parse entities: Unexpected end tag at byte offset "
                f"{_byte_offset(source, i)}"
            )
        opened = stack.pop()
        if opened.name != name:
            raise HtmlParseError(
                "Bad Request: can't parse entities: Unmatched end tag at byte offset "
                f'{_byte_offset(source, i)}, expected "</{opened.name}>", found "</{name}>"'
            )
        entity = _entity_for(opened, length)
        if entity is not None:
            entities.append(entity)
        return end.end(), length
    start = _START_TAG.match(source, i)
    if start is None:
        raise HtmlParseError(
            'Bad Request: can\'t parse entities: Unsupported start tag "" at byte offset '
            f"{_byte_offset(source, i)}"
        )
    name = start.group(1).lower()
    attributes = _attributes(start.group(2))
    if name not in _ENTITY_TYPES or (name == "span" and attributes.get("class") != "tg-spoiler"):
        raise HtmlParseError(
            f'Bad Request: can\'t parse entities: Unsupported start tag "{name}" at byte offset '
            f"{_byte_offset(source, i)}"
        )
    stack.append(_OpenTag(name, attributes, length))
    return start.end(), length


def _entity_for(opened: _OpenTag, end: int) -> dict | None:
    size = end - opened.offset
    if size <= 0:
        return None
    entity: dict = {"type": _ENTITY_TYPES[opened.name], "offset": opened.offset, "length": size}
    if opened.name == "a":
        entity["url"] = opened.attributes.get("href", "")
    if opened.name == "blockquote" and "expandable" in opened.attributes:
        entity["type"] = "expandable_blockquote"
    if opened.name == "tg-emoji":
        entity["custom_emoji_id"] = opened.attributes.get("emoji-id", "")
    return entity


def _attributes(raw: str) -> dict[str, str]:
    attributes: dict[str, str] = {}
    for match in _ATTRIBUTE.finditer(raw):
        value = next((g for g in match.groups()[1:] if g is not None), "")
        attributes[match.group(1).lower()] = html.unescape(value)
    return attributes


def _decode_entity(match: re.Match[str], source: str, i: int) -> str:
    named, decimal, hexadecimal = match.groups()
    if named:
        return _NAMED[named]
    code = int(decimal) if decimal else int(hexadecimal, 16)
    if code == 0 or code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
        raise HtmlParseError(
            "Bad Request: can't parse entities: Invalid numeric entity at byte offset "
            f"{_byte_offset(source, i)}"
        )
    return chr(code)


def _byte_offset(source: str, i: int) -> int:
    return len(source[:i].encode("utf-8", "surrogatepass"))
