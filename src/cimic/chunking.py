"""Document -> Chunks that follow its structure (glossary entries, paragraphs, whole lists).

Every chunk is an exact span of the document text: chunk.text == doc.text[chunk.start:chunk.end].
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from .types import Chunk, Document

MAX_CHARS = 1200
MIN_CHARS = 80
CHUNKER_VERSION = 9

_LIST_ITEM = re.compile(r"^\s*(?:[-•*·▪◦–]|\d{1,3}[.)])\s+")
_TERMINAL = re.compile(r"[.!?…][\"”’)\]]*$")
_OPEN_QUOTE = "“"
_CLOSE_QUOTE = "”"
_NATO_AGREED = re.compile(r"\(NATO agreed\)", re.IGNORECASE)
# A sentence that opens with one of these refers back to the one before: same paragraph.
_ANAPHORIC = re.compile(
    r"^(It|Its|This|These|That|Those|They|Their|Such|Furthermore|Additionally|Moreover|"
    r"However|Therefore|Thus|Also|In addition|For this reason|Through|Here)\b"
)
_SENTENCE_END = re.compile(r"(?<=[.!?…])([\"”’)\]]*)\s+(?=[\"“‘(\[]?[A-Z0-9])")
_MD_HEADING = re.compile(r"^#{1,6}\s+\S")
_KEYWORDS_LABEL = re.compile(r"^key ?words:?$", re.IGNORECASE)


def chunker_settings() -> dict:
    """What the manifest records about the chunker: a change forces a rebuild."""
    return {"version": CHUNKER_VERSION, "max_chars": MAX_CHARS, "min_chars": MIN_CHARS}


@dataclass
class _Line:
    start: int
    end: int  # end of the stripped content (no newline)
    text: str  # stripped

    @property
    def is_item(self) -> bool:
        return bool(_LIST_ITEM.match(self.text))


def _lines(text: str, lo: int, hi: int) -> list[_Line | None]:
    """Lines of text[lo:hi] as stripped spans; None stands for a blank line."""
    out: list[_Line | None] = []
    pos = lo
    for raw in text[lo:hi].splitlines(keepends=True):
        body = raw.rstrip("\r\n")
        stripped = body.strip()
        if stripped:
            s = pos + (len(body) - len(body.lstrip()))
            out.append(_Line(s, s + len(stripped), stripped))
        else:
            out.append(None)
        pos += len(raw)
    return out


def _is_terminal(t: str) -> bool:
    return bool(_TERMINAL.search(t)) or bool(_NATO_AGREED.search(t[-14:]))


def _open_quote(t: str) -> bool:
    return t.count(_OPEN_QUOTE) > t.count(_CLOSE_QUOTE)


def _is_heading(line: _Line, nxt: _Line | None, isolated: bool = False) -> bool:
    t = line.text
    if nxt is None:
        return False  # a heading heads something; a last line is content
    if not any(ch.isalnum() for ch in t):
        return False  # punctuation alone names nothing
    if _MD_HEADING.match(t):
        return True
    # "What is it?" standing alone between blank lines; a colon line that opens a list is not.
    opens_list = t[-1] == ":" and nxt is not None and nxt.is_item
    if (
        isolated
        and not line.is_item
        and len(t) <= 60
        and (t[-1] == "?" or (t[-1] == ":" and not opens_list))
    ):
        return True
    if line.is_item or _is_terminal(t) or t[-1] in ",;:-–(" or _open_quote(t):
        return False
    if len(t) > 90 or len(t.split()) > 12 or not (t[0].isupper() or t[0].isdigit()):
        return False
    return not nxt.text[0].islower()


class _Sections:
    """The section a unit belongs to: Markdown headings nest by level, and headings that follow
    one another with no text between them are read as one path ("Part › Chapter")."""

    def __init__(self, section: str | None):
        self.path: list[tuple[int, str]] = [(0, section)] if section else []
        self.fresh = False  # the last line seen was a heading

    def heading(self, raw: str) -> None:
        level = len(raw) - len(raw.lstrip("#")) if _MD_HEADING.match(raw) else 0
        title = raw.lstrip("#").strip().rstrip(":").strip()
        if level:  # Markdown: close headings at this level or deeper, and plain ones that had text
            while self.path and (
                (self.path[-1][0] == 0 and not self.fresh) or self.path[-1][0] >= level
            ):
                self.path.pop()
        elif not self.fresh:  # a plain heading after text replaces the plain headings before it
            self.path = [p for p in self.path if p[0] > 0]
        self.path.append((level, title))
        self.fresh = True

    def content(self) -> None:
        self.fresh = False

    @property
    def current(self) -> str | None:
        return " › ".join(t for _, t in self.path if t) or None


def _continues(prev: _Line, line: _Line, block_text: str) -> bool:
    """Whether line belongs to the same unit as prev (no blank line between them)."""
    p, t = prev.text, line.text
    if _NATO_AGREED.fullmatch(t.strip()):
        return True
    if _open_quote(block_text):
        return True
    if line.is_item:
        return prev.is_item or p.endswith(":")
    if p.endswith((",", ";", ":", "-", "–")) or t[0].islower():
        return True
    if prev.is_item:
        return False
    if _is_terminal(p):
        # In hard-wrapped text a sentence that refers back continues the paragraph.
        return len(p) < 100 and bool(_ANAPHORIC.match(t))
    return True  # a hard-wrapped line that simply runs on


@dataclass
class _Unit:
    start: int
    end: int
    section: str | None
    kind: str
    glue_next: bool = False  # no blank line before the next unit
    number: str | None = None  # a PDF's paragraph number ("1.12")


def _prose_units(
    doc: Document, lo: int, hi: int, section: str | None, more_follows: bool = False
) -> tuple[list[_Unit], str | None]:
    """Paragraphs and lists of text[lo:hi], headings turned into sections.

    more_follows: text[hi:] holds more of the document (a glossary), so a last line may head it.
    """
    text = doc.text
    lines = _lines(text, lo, hi)
    units: list[_Unit] = []
    cur: list[_Line] = []
    blanks = 0
    sections = _Sections(section)
    pending: list[_Line] = []  # heading lines not yet followed by text

    def close(glue: bool) -> None:
        if cur:
            kind = "list" if sum(ln.is_item for ln in cur) >= 2 else "paragraph"
            units.append(_Unit(cur[0].start, cur[-1].end, sections.current, kind, glue))
            cur.clear()

    for i, line in enumerate(lines):
        if line is None:
            blanks += 1
            continue
        nxt = next((ln for ln in lines[i + 1 :] if ln is not None), None)
        if nxt is None and more_follows:
            nxt = _Line(hi, hi, "Definition")
        isolated = (blanks > 0 or i == 0) and i + 1 < len(lines) and lines[i + 1] is None
        if not cur and _is_heading(line, nxt, isolated):
            close(False)
            sections.heading(line.text)
            pending.append(line)
            blanks = 0
            continue
        if cur:
            block = text[cur[0].start : cur[-1].end]
            if blanks:
                # A list may follow its colon-ended introduction, or continue, across one blank line.
                joined = line.is_item and (
                    cur[-1].text.endswith(":") or cur[-1].is_item and blanks == 1
                )
            else:
                joined = _continues(cur[-1], line, block)
            if not joined:
                close(not blanks)
                if _is_heading(line, nxt, isolated):
                    sections.heading(line.text)
                    pending.append(line)
                    blanks = 0
                    continue
        cur.append(line)
        sections.content()
        pending.clear()
        blanks = 0
    close(False)
    if pending:  # headings with nothing under them in this region (a title over what follows)
        units.append(_Unit(pending[0].start, pending[-1].end, None, "paragraph"))
    return _merge_small(units, text), sections.current


def _merge_small(units: list[_Unit], text: str) -> list[_Unit]:
    """Fold a unit too short to stand alone (a date line, a stray sentence) into the next one."""
    out: list[_Unit] = []
    for u in units:
        prev = out[-1] if out else None
        if (
            prev
            and not (prev.number or u.number)
            and prev.end - prev.start < MIN_CHARS
            and prev.section == u.section
            and (prev.glue_next or "\n" not in text[prev.start : prev.end])
        ):
            out.pop()
            u = _Unit(
                prev.start, u.end, u.section, u.kind if u.kind == "list" else prev.kind, u.glue_next
            )
        out.append(u)
    return out


def find_glossary(doc: Document) -> int | None:
    """Offset of the first 'Definition' label when the document is a run of glossary entries."""
    starts = [m.start() for m in re.finditer(r"(?m)^[ \t]*Definition[ \t]*\r?$", doc.text)]
    sources = re.findall(r"(?m)^[ \t]*Source[ \t]*\r?$", doc.text)
    return starts[0] if len(starts) >= 3 and len(sources) >= 2 else None


def entry_title(body: str) -> str:
    """A short name for a glossary entry: its title line, else the subject of its first sentence."""
    first = body.split("\n", 1)[0].strip().strip('“”"')
    if "\n" in body and len(first) <= 70 and not _is_terminal(first):
        return first
    m = re.match(
        r"(.{3,90}?)\s+(?:is|are|refers? to|within|involves|describes|represents|encompasses|"
        r"includes?|in the context|in joint|acts|aims|can|has|have|defines)\b",
        first,
    )
    if m:
        return m.group(1).strip(" ,")
    words = first.split()
    return " ".join(words[:8]) + ("…" if len(words) > 8 else "")


def _glossary_units(
    doc: Document, lo: int, hi: int
) -> list[tuple[_Unit, str | None, tuple[str, ...]]]:
    """One unit per 'Definition … Source … Key words …' entry: (unit, source, key words)."""
    text = doc.text
    lines = [ln for ln in _lines(text, lo, hi) if ln is not None]
    entries: list[list[_Line]] = []
    for ln in lines:
        if ln.text == "Definition":
            entries.append([])
        elif entries:
            entries[-1].append(ln)
    out = []
    for entry in entries:
        part = "body"
        body: list[_Line] = []
        src: list[str] = []
        kws: list[str] = []
        trailing: list[_Line] = []  # lines after the labels' values: a passage of their own
        for i, ln in enumerate(entry):
            if ln.text == "Source" or _KEYWORDS_LABEL.match(ln.text):
                part = "Source" if ln.text == "Source" else "Key words"
                continue
            if part == "body":
                body.append(ln)
            elif _is_label_value(part, ln.text, len(src if part == "Source" else kws)):
                (src if part == "Source" else kws).append(ln.text)
            else:
                trailing = entry[i:]
                break
        if not body:
            # An entry with a Source or Key words but no definition: keep its text as the entry.
            body = [
                ln for ln in entry if not (ln.text == "Source" or _KEYWORDS_LABEL.match(ln.text))
            ]
            src, kws, trailing = [], [], []
            if not body:
                continue
        span_text = text[body[0].start : body[-1].end]
        keywords = tuple(k.strip() for kw in kws for k in kw.split(" / ") if k.strip())
        unit = _Unit(body[0].start, body[-1].end, entry_title(span_text), "glossary")
        out.append((unit, "; ".join(src) or None, keywords))
        if trailing:
            prose, _ = _prose_units(doc, trailing[0].start, trailing[-1].end, None)
            out += [(u, None, ()) for u in prose]
    return out


_URL = re.compile(r"^(?:https?://|www\.)\S+$")


def _is_label_value(label: str, line: str, values_so_far: int) -> bool:
    """Whether a line after a glossary label is that label's value, not a paragraph of its own.

    Key words are one line of " / "-separated terms (a wrapped list continues with " / " or a short
    unterminated line); a Source is a reference: an address, or a short line that is not a sentence.
    """
    sentence = _is_terminal(line) and len(line.split()) >= 6
    if label == "Key words":
        return values_so_far == 0 or " / " in line or (len(line) <= 60 and not sentence)
    return bool(_URL.match(line)) or (len(line) <= 150 and not sentence)


_SEPARATORS = [r"\n\s*\n", r"\n", r"(?<=[.!?…])\s+", r"(?<=[;:,])\s+", " ", ""]


@lru_cache(maxsize=8)
def _splitter(max_chars: int, is_list: bool):
    # Imported here: langchain costs a third of a second, and most units need no split.
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    # A list splits between items first, so its introduction stays with the first items.
    return RecursiveCharacterTextSplitter(
        chunk_size=max_chars,
        chunk_overlap=0,
        separators=_SEPARATORS[1:] if is_list else _SEPARATORS,
        is_separator_regex=True,
        keep_separator="end",  # rejoined pieces are then exact substrings
        strip_whitespace=True,
    )


def split_span(
    text: str, start: int, end: int, max_chars: int = MAX_CHARS, is_list: bool = False
) -> list[tuple[int, int]]:
    """Split text[start:end] into spans of at most max_chars, at sentence boundaries first."""
    if end - start <= max_chars:
        return [(start, end)]
    spans = []
    cursor = start
    for piece in _splitter(max_chars, is_list).split_text(text[start:end]):
        at = text.find(piece, cursor, end)
        if at < 0:  # the splitter changed the text; fall back to hard cuts
            return [(s, min(s + max_chars, end)) for s in range(start, end, max_chars)]
        spans.append((at, at + len(piece)))
        cursor = at + len(piece)
    return spans


def chunk_document(doc: Document) -> list[Chunk]:
    """Cut a document into chunks that follow its structure, each at most MAX_CHARS long."""
    lo, hi = doc.content_span
    text = doc.text
    units: list[tuple[_Unit, str | None, tuple[str, ...]]] = []
    if doc.blocks:  # a PDF read by pdf.py: its units are known
        units += [(u, None, ()) for u in _pdf_units(doc, lo, hi)]
    else:
        glossary_at = find_glossary(doc)
        prose_hi = glossary_at if glossary_at is not None and lo <= glossary_at < hi else hi
        prose, _ = _prose_units(doc, lo, prose_hi, None, more_follows=prose_hi < hi)
        units += [(u, None, ()) for u in prose]
        if prose_hi < hi:
            units += _glossary_units(doc, prose_hi, hi)
    chunks: list[Chunk] = []
    for n, (unit, source, keywords) in enumerate(units):
        for s, e in split_span(text, unit.start, unit.end, is_list=unit.kind == "list"):
            piece = text[s:e]
            chunks.append(
                Chunk(
                    doc=doc.doc,
                    start=s,
                    end=e,
                    text=piece,
                    section=unit.section,
                    kind=unit.kind,
                    source=source,
                    keywords=keywords,
                    nato_agreed=bool(_NATO_AGREED.search(piece)),
                    entry=n if unit.kind == "glossary" else None,
                    page=doc.page_at(s),
                    page_end=doc.page_at(e - 1),
                    para=unit.number,
                )
            )
    return chunks


def _pdf_units(doc: Document, lo: int, hi: int) -> list[_Unit]:
    """A PDF's paragraphs and tables as units; its headings nest into sections by level."""
    path: list[tuple[int, str]] = []
    units: list[_Unit] = []
    for start, end, kind, number in doc.blocks:
        if end <= lo or start >= hi:
            continue
        if kind == "heading":
            level = int(number) if number.isdigit() else 9
            while path and path[-1][0] >= level:
                path.pop()
            path.append((level, " ".join(doc.text[start:end].split())))
            continue
        section = " › ".join(t for _, t in path) or None
        unit_kind = "table" if kind == "table" else "paragraph"
        units.append(_Unit(max(start, lo), min(end, hi), section, unit_kind, number=number or None))
    return _merge_small(units, doc.text)


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """Sentences (and list items) of a passage as (start, end) spans inside it."""
    spans: list[tuple[int, int]] = []
    lines = [ln for ln in _lines(text, 0, len(text)) if ln is not None]
    groups: list[list[_Line]] = []
    for ln in lines:
        if (
            groups
            and not ln.is_item
            and not groups[-1][-1].is_item
            and not _is_terminal(groups[-1][-1].text)
            and not groups[-1][-1].text.endswith(":")
        ):
            groups[-1].append(ln)
        else:
            groups.append([ln])
    for g in groups:
        s, e = g[0].start, g[-1].end
        cursor = s
        for m in _SENTENCE_END.finditer(text, s, e):
            spans.append((cursor, m.start() + len(m.group(1))))
            cursor = m.end()
        spans.append((cursor, e))
    return [(s, e) for s, e in spans if e > s and text[s:e].strip()]
