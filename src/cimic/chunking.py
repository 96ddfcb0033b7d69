"""Document -> Chunks that follow its structure (glossary entries, paragraphs, whole lists).

Every chunk is an exact span of the document text: chunk.text == doc.text[chunk.start:chunk.end].
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from .markup import link_count, link_share
from .types import Chunk, Document

MAX_CHARS = 1200
MIN_CHARS = 80
SMALL_UNIT = 250  # paragraphs shorter than this are packed with their neighbours up to MAX_CHARS
LABEL_RUN = 4  # this many short label lines in a row are a form or an outline, not prose
CHUNKER_VERSION = 10

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
_BLANK_LINE = re.compile(r"\n[ \t]*\r?\n")
_KEYWORDS_LABEL = re.compile(r"^key ?words:?$", re.IGNORECASE)


def chunker_settings() -> dict:
    """What the manifest records about the chunker: a change forces a rebuild."""
    return {
        "version": CHUNKER_VERSION,
        "max_chars": MAX_CHARS,
        "min_chars": MIN_CHARS,
        "small_unit": SMALL_UNIT,
    }


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


def wrap_width(lines: list[_Line | None]) -> int | None:
    """The column a hard-wrapped text was wrapped at, or None when its lines are not wrapped.

    Read from the lines that run on into another line: in wrapped text most of them end within
    a word's length of one width (their 90th percentile); in unwrapped text their lengths scatter.
    """
    inner = [
        len(ln.text)
        for ln, nxt in zip(lines, lines[1:], strict=False)
        if ln is not None and nxt is not None and not nxt.is_item
    ]
    if len(inner) < 8:
        return None
    inner.sort()
    width = inner[min(len(inner) - 1, int(0.9 * len(inner)))]
    near = sum(1 for n in inner if n >= width - 16)
    return width if width <= 200 and near * 2 >= len(inner) else None


def _wrapped(line: _Line, follows: _Line | None, width: int | None, guess: bool = False) -> bool:
    """Whether line was broken only because the next word did not fit (hard wrapping).

    follows is the line right after it (None after a blank line). Without a known width, `guess`
    compares with the next line: a wrapper breaks a line only when the next word would pass the
    width, and no line is longer than the width, so a line of 30 characters or more with no room
    for the next word within its successor's length is a wrapped one (a heading is usually much
    shorter than the line under it).
    """
    if follows is None or follows.is_item:
        return False
    word = len(follows.text.split()[0])
    if width is not None:
        return len(line.text) + 1 + word > width
    return guess and len(line.text) >= 30 and len(line.text) + 1 + word > len(follows.text)


def _is_heading(
    line: _Line, nxt: _Line | None, isolated: bool = False, wrapped: bool = False
) -> bool:
    t = line.text
    if nxt is None:
        return False  # a heading heads something; a last line is content
    if not any(ch.isalpha() for ch in t):
        return False  # punctuation, numbers or a timestamp alone name nothing
    if _MD_HEADING.match(t):
        return True
    if wrapped:
        return False  # the first line of a hard-wrapped paragraph
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


def _continues(
    prev: _Line, line: _Line, block_text: str, wrapped: bool | None = None, in_list: bool = False
) -> bool:
    """Whether line belongs to the same unit as prev (no blank line between them).

    wrapped: in text hard-wrapped at a known width, whether prev was wrapped into line (see
    _wrapped): then a sentence end there is not a paragraph end, and one on a short line is;
    None when the text is not wrapped at a known width. in_list: the unit already holds a list item, so prev may be the wrapped
    continuation of one and a new item goes on with the list.
    """
    p, t = prev.text, line.text
    if _NATO_AGREED.fullmatch(t.strip()):
        return True
    if _open_quote(block_text):
        return True
    if line.is_item:
        return prev.is_item or p.endswith(":") or in_list
    if wrapped:
        return True
    if p.endswith((",", ";", ":", "-", "–")) or t[0].islower():
        return True
    if prev.is_item:
        return False
    if _is_terminal(p):
        # Without a known width, a sentence that refers back continues a (wrapped) paragraph.
        return wrapped is None and len(p) < 100 and bool(_ANAPHORIC.match(t))
    return True  # a hard-wrapped line that simply runs on


def _label_like(t: str) -> bool:
    """A short capitalised label with no sentence in it ("Email Address", "First Name")."""
    return (
        len(t) <= 40
        and len(t.split()) <= 5
        and t[0].isupper()
        and not _LIST_ITEM.match(t)
        and not _MD_HEADING.match(t)
        and not _is_terminal(t)
        and t[-1] not in ",;"
    )


def chrome_lines(lines: list[_Line | None]) -> set[int]:
    """Indices of lines that are page chrome by their shape, wherever they stand.

    - a link list: two or more lines (blank lines between allowed) each mostly links, or one line
      of three or more links and little else (a menu, "share on ..." rows, a related-pages block);
    - a form or an outline: LABEL_RUN or more short capitalised label lines in a row (at most one
      blank line between them) that no colon-ended line introduces as a list.
    """
    out: set[int] = set()
    idx = [i for i, ln in enumerate(lines) if ln is not None]

    def runs(pred) -> list[list[int]]:
        found: list[list[int]] = []
        for i in idx:
            if not pred(lines[i].text):
                continue
            if (
                found
                and i - found[-1][-1] <= 2
                and all(lines[j] is None for j in range(found[-1][-1] + 1, i))
            ):
                found[-1].append(i)
            else:
                found.append([i])
        return found

    for run in runs(lambda t: ("](" in t or "://" in t or "][" in t) and link_share(t) >= 0.7):
        if len(run) >= 2 or link_count(lines[run[0]].text) >= 3:
            out.update(run)
    for run in runs(_label_like):
        if len(run) < LABEL_RUN:
            continue
        before = next((lines[j] for j in range(run[0] - 1, -1, -1) if lines[j] is not None), None)
        if before is None or not before.text.endswith(":"):
            out.update(run)
    return out


@dataclass
class _Unit:
    start: int
    end: int
    section: str | None
    kind: str
    glue_next: bool = False  # no blank line before the next unit
    number: str | None = None  # a PDF's paragraph number ("1.12")
    wrapped: bool = False  # its text is hard-wrapped: a line break is not a break in the text


def _prose_units(
    doc: Document, lo: int, hi: int, section: str | None, more_follows: bool = False
) -> tuple[list[_Unit], str | None]:
    """Paragraphs and lists of text[lo:hi], headings turned into sections.

    more_follows: text[hi:] holds more of the document (a glossary), so a last line may head it.
    """
    text = doc.text
    lines = _lines(text, lo, hi)
    chrome = chrome_lines(lines)
    lines = [None if i in chrome else ln for i, ln in enumerate(lines)]
    width = wrap_width(lines)
    units: list[_Unit] = []
    cur: list[_Line] = []
    blanks = 0
    sections = _Sections(section)
    pending: list[_Line] = []  # heading lines not yet followed by text

    def close(glue: bool) -> None:
        if cur:
            kind = "list" if sum(ln.is_item for ln in cur) >= 2 else "paragraph"
            units.append(
                _Unit(cur[0].start, cur[-1].end, sections.current, kind, glue, wrapped=bool(width))
            )
            cur.clear()

    for i, line in enumerate(lines):
        if line is None:
            blanks += 1
            continue
        nxt = next((ln for ln in lines[i + 1 :] if ln is not None), None)
        if nxt is None and more_follows:
            nxt = _Line(hi, hi, "Definition")
        isolated = (blanks > 0 or i == 0) and i + 1 < len(lines) and lines[i + 1] is None
        follows = lines[i + 1] if i + 1 < len(lines) else None
        wrapped = _wrapped(line, follows, width, guess=True)
        if not cur and _is_heading(line, nxt, isolated, wrapped):
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
                run_on = _wrapped(cur[-1], line, width) if width else None
                if (
                    run_on
                    and _is_terminal(cur[-1].text)
                    and follows is not None
                    and not wrapped
                    and _is_heading(line, nxt, isolated, wrapped)
                ):
                    # A sentence ends the line above and this short unterminated line, itself not
                    # wrapped, heads the text right under it: a heading, not a wrapped remainder.
                    run_on = False
                joined = _continues(cur[-1], line, block, run_on, any(ln.is_item for ln in cur))
            if not joined:
                cur_last = cur[-1]
                close(not blanks)
                # A plain line right under a line of wrapped length, with a blank line after it,
                # is the last line of a wrapped paragraph; under a long unwrapped line it may be a
                # heading ("…partners.\nCIMIC Map\n\n…").
                trailing = (
                    not blanks
                    and follows is None
                    and not _MD_HEADING.match(line.text)
                    and 40 <= len(cur_last.text) <= (width or 100)
                )
                if not trailing and _is_heading(line, nxt, isolated, wrapped):
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


def _merge_small(units: list[_Unit], text: str, pack: bool = True) -> list[_Unit]:
    """Fold units too short to stand alone into their neighbours.

    First a unit under MIN_CHARS (a date line, a stray sentence) joins the next one; then, when
    `pack`, one still under MIN_CHARS ("Thank you.") joins the paragraph before it, and runs of
    paragraphs each under SMALL_UNIT set apart by blank lines (a speech's short paragraphs, short
    numbered items) are packed together up to MAX_CHARS. Units only join across whitespace (never across chrome or a
    heading) and within one section.
    """

    def adjacent(a: _Unit, b: _Unit) -> bool:
        return a.section == b.section and not text[a.end : b.start].strip()

    out: list[_Unit] = []
    for u in units:
        prev = out[-1] if out else None
        if (
            prev
            and not (prev.number or u.number)
            and prev.end - prev.start < MIN_CHARS
            and adjacent(prev, u)
            and (prev.glue_next or "\n" not in text[prev.start : prev.end])
        ):
            out.pop()
            kind = u.kind if u.kind == "list" else prev.kind
            u = _Unit(prev.start, u.end, u.section, kind, u.glue_next, wrapped=u.wrapped)
        out.append(u)
    if not pack:
        return out
    packed: list[_Unit] = []
    small_run = False  # the last packed unit is made only of small paragraphs
    for u in out:
        size = u.end - u.start
        prev = packed[-1] if packed else None
        fits = prev is not None and u.end - prev.start <= MAX_CHARS and adjacent(prev, u)
        tiny = size < MIN_CHARS and u.kind == "paragraph"
        small = size < SMALL_UNIT and u.kind == "paragraph"
        # Short paragraphs set apart by blank lines are prose cut small (a speech); short lines
        # with no blank between them are statements in their own right (a fact list) and stay.
        apart = prev is not None and _BLANK_LINE.search(text, prev.end, u.start) is not None
        if fits and prev.kind == "paragraph" and (tiny or (small and small_run and apart)):
            packed[-1] = _Unit(
                prev.start, u.end, u.section, prev.kind, u.glue_next, wrapped=u.wrapped
            )
            small_run = small_run and small
            continue
        packed.append(u)
        small_run = small
    return packed


def find_glossary(doc: Document) -> int | None:
    """Offset of the first 'Definition' label when the document is a run of glossary entries."""
    starts = [m.start() for m in re.finditer(r"(?m)^[ \t]*Definition[ \t]*\r?$", doc.text)]
    sources = re.findall(r"(?m)^[ \t]*Source[ \t]*\r?$", doc.text)
    return starts[0] if len(starts) >= 3 and len(sources) >= 2 else None


def entry_title(body: str) -> str:
    """A short name for a glossary entry: its title line, else the subject of its first sentence."""
    lines = [ln for ln in _lines(body, 0, len(body)) if ln is not None]
    first = lines[0].text.strip('“”"') if lines else ""
    # A title line stands above the text; the first line of a hard-wrapped definition runs on.
    runs_on = len(lines) > 1 and (
        lines[1].text[0].islower() or _wrapped(lines[0], lines[1], None, guess=True)
    )
    if len(lines) > 1 and len(first) <= 70 and not _is_terminal(first) and not runs_on:
        return first
    if runs_on:
        first = " ".join(" ".join(ln.text for ln in lines).split()).strip('“”"')
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
    width = wrap_width(lines)
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
        labels = [
            i for i, ln in enumerate(entry) if ln.text == "Source" or _KEYWORDS_LABEL.match(ln.text)
        ]
        for i, ln in enumerate(entry):
            if labels and i in labels:
                part = "Source" if ln.text == "Source" else "Key words"
                continue
            if part == "body":
                body.append(ln)
            elif i < labels[
                -1
            ] or _is_label_value(  # a value wrapped over lines up to the next label
                part, ln.text, len(src if part == "Source" else kws)
            ):
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
        unit = _Unit(
            body[0].start, body[-1].end, entry_title(span_text), "glossary", wrapped=bool(width)
        )
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
def _splitter(max_chars: int, is_list: bool, wrapped: bool = False):
    # Imported here: langchain costs a third of a second, and most units need no split.
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    # A list splits between items first, so its introduction stays with the first items; hard-
    # wrapped prose at sentence ends, since its line breaks are not breaks in the text.
    separators = _SEPARATORS[1:] if is_list else _SEPARATORS
    if wrapped:
        separators = [sep for sep in separators if sep != r"\n"]
    return RecursiveCharacterTextSplitter(
        chunk_size=max_chars,
        chunk_overlap=0,
        separators=separators,
        is_separator_regex=True,
        keep_separator="end",  # rejoined pieces are then exact substrings
        strip_whitespace=True,
    )


def split_span(
    text: str,
    start: int,
    end: int,
    max_chars: int = MAX_CHARS,
    is_list: bool = False,
    wrapped: bool = False,
) -> list[tuple[int, int]]:
    """Split text[start:end] into spans of at most max_chars: at blank lines, then line breaks
    (not in hard-wrapped text), then sentence ends."""
    if end - start <= max_chars:
        return [(start, end)]
    spans = []
    cursor = start
    for piece in _splitter(max_chars, is_list, wrapped).split_text(text[start:end]):
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
        wrapped = unit.wrapped
        for s, e in split_span(
            text, unit.start, unit.end, is_list=unit.kind == "list", wrapped=wrapped
        ):
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
    return _merge_small(units, doc.text, pack=False)


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
