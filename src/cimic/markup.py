"""Markdown inline markup: the words a reader sees, and the link addresses kept beside them.

A passage is quoted verbatim (markup included), but what is searched and embedded is its plain
reading: a link's text without its address, an image's alt text, bold and code unwrapped. The
addresses travel with the passage as metadata (`Passage.links`).
"""

from __future__ import annotations

import re

# [text](address "title") and ![alt](address); the address may hold one level of parentheses.
_INLINE = re.compile(
    r"(?P<image>!?)\[(?P<text>[^\]\n]*)\]\((?P<url>(?:[^()\s]|\([^()\s]*\))*)(?:\s+\"[^\"\n]*\")?\)"
)
# [text][ref] and [text][] (a reference link: its address is defined elsewhere).
_REFERENCE = re.compile(r"!?\[(?P<text>[^\]\n]+)\]\[(?P<ref>[^\]\n]*)\]")
# [ref]: address "title" on a line of its own.
_DEFINITION = re.compile(
    r"(?m)^[ \t]{0,3}\[(?P<ref>[^\]\n]+)\]:[ \t]*<?(?P<url>\S+?)>?(?:[ \t]+.*)?$"
)
_AUTOLINK = re.compile(r"<(?P<url>(?:https?|ftp|mailto):[^>\s]+)>")
_BARE_URL = re.compile(r"(?:https?://|www\.)\S+")
_STRONG = re.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1")
_CODE = re.compile(r"`([^`\n]+)`")
_ITEM = re.compile(r"^\s*(?:[-*+•]|\d{1,3}[.)])\s+")


def plain(text: str) -> str:
    """The text as read: links and images reduced to their words, addresses and emphasis dropped."""
    if "[" in text:
        text = _DEFINITION.sub("", text)
        text = _INLINE.sub(lambda m: m.group("text"), text)
        text = _REFERENCE.sub(lambda m: m.group("text"), text)
    if "<" in text:
        text = _AUTOLINK.sub("", text)
    if "**" in text or "__" in text:
        text = _STRONG.sub(r"\2", text)
    if "`" in text:
        text = _CODE.sub(r"\1", text)
    return text


def links(text: str) -> list[dict[str, str]]:
    """The links of a passage as {"text", "url"}, in order (reference links resolved within it)."""
    if "[" not in text and "<" not in text:  # every link form needs one of them
        return []
    defined = {m.group("ref").lower(): m.group("url") for m in _DEFINITION.finditer(text)}
    found: list[tuple[int, dict[str, str]]] = []
    for m in _INLINE.finditer(text):
        if m.group("url"):
            found.append((m.start(), {"text": m.group("text"), "url": m.group("url")}))
    for m in _REFERENCE.finditer(text):
        ref = (m.group("ref") or m.group("text")).lower()
        if ref in defined:
            found.append((m.start(), {"text": m.group("text"), "url": defined[ref]}))
    for m in _AUTOLINK.finditer(text):
        found.append((m.start(), {"text": m.group("url"), "url": m.group("url")}))
    return [link for _, link in sorted(found, key=lambda x: x[0])]


def link_share(line: str) -> float:
    """How much of a line (list marker aside) is link markup or a bare address: 0.0 to 1.0."""
    body = _ITEM.sub("", line).strip()
    if not body:
        return 0.0
    covered = 0
    for pattern in (_INLINE, _REFERENCE, _AUTOLINK, _BARE_URL):
        for m in pattern.finditer(body):
            covered += m.end() - m.start()
        body = pattern.sub("", body)
    return covered / (covered + len(body.strip(" |·•,;-–")))


def link_count(line: str) -> int:
    """How many links a line holds."""
    return (
        len(_INLINE.findall(line))
        + len(_REFERENCE.findall(line))
        + len(_AUTOLINK.findall(line))
        + len(_BARE_URL.findall(_INLINE.sub("", line)))
    )
