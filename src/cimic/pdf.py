"""A PDF as published -> body text with structure: what a doctrine reader sees, not the page furniture.

pdfplumber (MIT, on pdfminer.six) gives every word with its position, font and size, and finds
ruled tables; from those this module builds:

- **lines in reading order**: words grouped by baseline; a page whose rows split at one vertical
  gutter (two columns) is read column by column; table words are kept out of prose;
- **running headers and footers** found by repetition: a line among the top or bottom three of a page
  whose wording (digits aside) recurs on at least half the pages (three at least) is furniture,
  whatever it says; so are bare page numbers there. Their varying token is the page's label
  ("1-7"); a recurring classification banner ("NATO UNCLASSIFIED") is kept as metadata;
- **units**: headings (a larger or bold font than the body, short, no sentence end), tables (rows as
  lines, cells joined by " | "), and paragraphs: a numbered paragraph (1.2, 0104, 1-3., 12.) opens a
  unit and its sub-items (a., (1), (a), i.) stay in it; a paragraph that crosses a page break is
  one unit; a word hyphenated at a line end is rejoined (the hyphen is kept where the document
  writes the word with one elsewhere, as "civil-military").

The document text is the units joined (lines by "\\n", units by a blank line); page_starts and
page_labels map its offsets back to pages, blocks record each unit's span, kind and number.
"""

from __future__ import annotations

import re
import statistics
from collections import Counter
from dataclasses import dataclass

EDGE_LINES = 3  # lines at the top and at the bottom of a page where furniture lives
RUNNING_SHARE = 0.5  # a line recurring on this share of pages (at least MIN_RUNNING) is furniture
MIN_RUNNING = 3
ROW_TOLERANCE = 2.0  # points: words whose tops differ less are on one row
GUTTER = 14.0  # points: a gap this wide inside a row may be a column gutter
PARA_GAP = 1.5  # a vertical gap over this many times the usual line spacing ends a paragraph

_PAGE_NUMBER = re.compile(
    r"^(?:page\s+)?(?:[A-Z]{1,2}-)?\d{1,4}(?:-\d{1,4})?(?:\s*(?:of|/)\s*\d+)?$|^[ivxlcdm]{1,7}$",
    re.IGNORECASE,
)
_LABEL = re.compile(r"(?:[A-Z]{1,2}-)?\d{1,4}(?:-\d{1,4})?|\b[ivxlcdm]{1,7}\b", re.IGNORECASE)
_CLASSIFICATION = re.compile(r"\b(?:UNCLASSIFIED|RESTRICTED|CONFIDENTIAL|SECRET)\b")
# A paragraph number that opens a unit: 1.2 / 1.2.3 / 0104 / 1-3. / 12.
PARA_NUMBER = re.compile(
    r"^(\d{1,2}(?:\.\d{1,2}){1,3}|0\d{3}|\d{1,2}-\d{1,3}(?=\.)|\d{1,3}(?=\.\s))\.?\s"
)
# A sub-item that stays in its paragraph: a. / (1) / (a) / i. / 1)
SUB_ITEM = re.compile(r"^(?:[a-z]\.|\([a-z0-9]{1,3}\)|[ivx]{1,4}\.|\d{1,2}\))\s")
_TERMINAL = re.compile(r"[.!?:;][\"”’)\]]*$")
_HYPHENATED = re.compile(r"([A-Za-z]+)-$")


@dataclass
class Line:
    """One line of a page, in reading order."""

    text: str
    top: float
    size: float
    bold: bool
    kind: str = "prose"  # prose | table


@dataclass
class PdfText:
    """What read_pdf returns: the body text and the maps back to pages and structure."""

    text: str
    page_starts: tuple[int, ...]
    page_labels: tuple[str, ...]
    blocks: tuple[tuple[int, int, str, str], ...]  # (start, end, kind, number or heading level)
    classification: str | None = None
    title: str | None = None


def _rows(words: list[dict]) -> list[list[dict]]:
    rows: list[list[dict]] = []
    for w in sorted(words, key=lambda w: (round(w["top"]), w["x0"])):
        if rows and abs(rows[-1][0]["top"] - w["top"]) <= ROW_TOLERANCE:
            rows[-1].append(w)
        else:
            rows.append([w])
    return [sorted(r, key=lambda w: w["x0"]) for r in rows]


def _line(words: list[dict], kind: str = "prose") -> Line:
    sizes = [w.get("size", 0.0) for w in words]
    bold = all("bold" in str(w.get("fontname", "")).lower() for w in words)
    return Line(
        " ".join(w["text"] for w in words),
        min(w["top"] for w in words),
        max(sizes) if sizes else 0.0,
        bold,
        kind,
    )


def _gutter(rows: list[list[dict]], width: float) -> float | None:
    """The x of a column gutter: inside a wide gap of at least three rows, in the middle third."""
    votes: Counter = Counter()
    for r in rows:
        for a, b in zip(r, r[1:], strict=False):
            if b["x0"] - a["x1"] >= GUTTER:
                for x in range(int(a["x1"]) + 1, int(b["x0"])):
                    if width / 3 <= x <= 2 * width / 3:
                        votes[x] += 1
    if not votes:
        return None
    x, n = votes.most_common(1)[0]
    return float(x) if n >= 3 else None


def _reading_order(rows: list[list[dict]], gutter: float | None) -> list[Line]:
    """Rows as lines; runs of rows split by the gutter are read left column, then right."""
    if gutter is None:
        return [_line(r) for r in rows]

    def side(r: list[dict]) -> str:
        if any(w["x0"] < gutter < w["x1"] for w in r):
            return "full"
        left = any(w["x1"] <= gutter for w in r)
        right = any(w["x0"] >= gutter for w in r)
        return "split" if left and right else ("left" if left else "right")

    out: list[Line] = []
    run: list[list[dict]] = []

    def flush() -> None:
        if sum(side(r) == "split" for r in run) >= 2:
            lefts = [[w for w in r if w["x1"] <= gutter] for r in run]
            rights = [[w for w in r if w["x0"] >= gutter] for r in run]
            out.extend(_line(r) for r in lefts if r)
            out.extend(_line(r) for r in rights if r)
        else:
            out.extend(_line(r) for r in run)
        run.clear()

    for r in rows:
        if side(r) == "full":
            flush()
            out.append(_line(r))
        else:
            run.append(r)
    flush()
    return out


@dataclass
class _Page:
    rows: list[list[dict]]  # prose words by row, top to bottom
    tables: list[Line]  # table rows as lines
    width: float


def _read_page(page) -> _Page:
    """Words of one pdfplumber page by row, with ruled tables kept apart as lines of their own."""
    words = page.extract_words(extra_attrs=["size", "fontname"], use_text_flow=False)
    try:
        tables = page.find_tables()
    except Exception:  # noqa: BLE001 - table finding is a refinement; prose still reads
        tables = []
    boxes = [t.bbox for t in tables]

    def in_table(w: dict) -> bool:
        return any(
            x0 - 1 <= w["x0"]
            and w["x1"] <= x1 + 1
            and top - 1 <= w["top"]
            and w["bottom"] <= bottom + 1
            for x0, top, x1, bottom in boxes
        )

    table_lines = []
    for t, (_x0, top, _x1, bottom) in zip(tables, boxes, strict=True):
        rows = [
            " | ".join(c.replace("\n", " ").strip() for c in row if c and c.strip())
            for row in t.extract()
        ]
        rows = [r for r in rows if r]
        step = (bottom - top) / max(1, len(rows))
        for n, text in enumerate(rows):
            table_lines.append(Line(text, top + n * step, 0.0, False, "table"))
    return _Page(_rows([w for w in words if not in_table(w)]), table_lines, float(page.width))


def _row_text(row: list[dict]) -> str:
    return " ".join(w["text"] for w in row)


def _merge_by_top(lines: list[Line]) -> list[Line]:
    prose = [ln for ln in lines if ln.kind == "prose"]
    tables = [ln for ln in lines if ln.kind == "table"]
    out: list[Line] = []
    for ln in prose:
        while tables and tables[0].top < ln.top:
            out.append(tables.pop(0))
        out.append(ln)
    return out + tables


def _key(text: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"\d+", "#", text.lower())).strip()


def _furniture(pages: list[_Page]) -> tuple[list[str], str | None]:
    """Drop running rows from the pages; return the page labels and the banner."""

    def edges(page: _Page) -> list[int]:
        n = len(page.rows)
        return sorted(set(range(min(EDGE_LINES, n))) | set(range(max(0, n - EDGE_LINES), n)))

    edge_keys: Counter = Counter()
    for page in pages:
        edge_keys.update({_key(_row_text(page.rows[i])) for i in edges(page)})
    need = max(MIN_RUNNING, RUNNING_SHARE * len(pages))
    running = {k for k, n in edge_keys.items() if n >= need and len(pages) >= MIN_RUNNING}
    banners: Counter = Counter()
    labels: list[str] = []
    for number, page in enumerate(pages, start=1):
        label = None
        drop = set()
        for i in edges(page):
            text = _row_text(page.rows[i]).strip()
            key = _key(text)
            page_number = bool(_PAGE_NUMBER.match(text))
            if not (key in running or page_number):
                continue
            drop.add(i)
            if _CLASSIFICATION.search(text) and not any(c.isdigit() for c in text):
                banners[text] += 1
            if "#" in key or page_number:
                found = _LABEL.findall(text)
                label = found[-1] if found else label
        page.rows = [r for i, r in enumerate(page.rows) if i not in drop]
        labels.append(label or str(number))
    banner = banners.most_common(1)[0][0] if banners else None
    return labels, banner


def _body_size(pages: list[list[Line]]) -> float:
    sizes: Counter = Counter()
    for lines in pages:
        for ln in lines:
            if ln.kind == "prose":
                sizes[round(ln.size, 1)] += len(ln.text)
    return sizes.most_common(1)[0][0] if sizes else 0.0


def read_pdf(path: str) -> PdfText:
    """Body text, page map and structure of the PDF at path; ValueError when it cannot be read."""
    import pdfplumber

    with pdfplumber.open(path) as pdf:
        title = (pdf.metadata or {}).get("Title")
        read = [_read_page(p) for p in pdf.pages]
    if not any(p.rows or p.tables for p in read):
        raise ValueError("no extractable text in the PDF (scanned images?)")
    labels, banner = _furniture(read)
    pages = []
    for page in read:
        lines = _reading_order(page.rows, _gutter(page.rows, page.width))
        pages.append(_merge_by_top(lines + page.tables) if page.tables else lines)
    body = _body_size(pages)
    hyphenated = _hyphenated_words(pages)
    units = _units(pages, body)
    parts: list[str] = []
    blocks: list[tuple[int, int, str, str]] = []
    page_starts = [-1] * len(pages)
    pos = 0
    for kind, number, lines in units:
        if parts:
            pos += 2  # the blank line between units
        text = ""
        for page, ln in lines:
            m = _HYPHENATED.search(text) if text and kind != "table" else None
            if m and ln.text[:1].islower():
                tail = re.match(r"[\w-]*", ln.text).group(0)
                keep = (m.group(1) + "-" + tail).lower() in hyphenated
                text = text[: m.end() - (0 if keep else 1)]
                at = len(text)
                text += ln.text
            else:
                if text:
                    text += "\n"
                at = len(text)
                text += ln.text
            if page_starts[page] < 0:
                page_starts[page] = pos + at
        parts.append(text)
        blocks.append((pos, pos + len(text), kind, number))
        pos += len(text)
    # A page whose lines all continue a unit from the page before starts where its first line does;
    # an empty page starts where the next one does.
    for i in range(len(page_starts) - 1, -1, -1):
        if page_starts[i] < 0:
            page_starts[i] = page_starts[i + 1] if i + 1 < len(page_starts) else pos
    return PdfText(
        "\n\n".join(parts),
        tuple(page_starts),
        tuple(labels),
        tuple(blocks),
        banner,
        str(title) if title else None,
    )


def _hyphenated_words(pages: list[list[Line]]) -> set[str]:
    """Hyphenated words the document writes within a line ("civil-military")."""
    out = set()
    for lines in pages:
        for ln in lines:
            out.update(w.lower() for w in re.findall(r"[A-Za-z]+-[A-Za-z]+", ln.text))
    return out


def _units(pages: list[list[Line]], body: float) -> list[tuple[str, str, list[tuple[int, Line]]]]:
    """Group lines into headings, tables and paragraphs across pages."""
    units: list[tuple[str, str, list[tuple[int, Line]]]] = []
    sizes = sorted({round(ln.size, 1) for lines in pages for ln in lines if ln.size > body + 0.4})[
        ::-1
    ]
    prev: Line | None = None
    for page, lines in enumerate(pages):
        gaps = [
            b.top - a.top for a, b in zip(lines, lines[1:], strict=False) if 0 < b.top - a.top < 40
        ]
        spacing = statistics.median(gaps) if gaps else 12.0
        for n, ln in enumerate(lines):
            text = ln.text.strip()
            if not text:
                continue
            heading = (
                ln.kind == "prose"
                and (ln.size > body + 0.4 or (ln.bold and not _TERMINAL.search(text)))
                and len(text) <= 100
                and not _TERMINAL.search(text)
            )
            if heading:
                level = (
                    str(sizes.index(round(ln.size, 1)) + 1)
                    if round(ln.size, 1) in sizes
                    else str(len(sizes) + 1)
                )
                units.append(("heading", level, [(page, ln)]))
                prev = ln
                continue
            if ln.kind == "table":
                if units and units[-1][0] == "table" and prev is not None and prev.kind == "table":
                    units[-1][2].append((page, ln))
                else:
                    units.append(("table", "", [(page, ln)]))
                prev = ln
                continue
            number = PARA_NUMBER.match(text)
            same_page = n > 0 and prev is lines[n - 1]
            # a wide gap, or a jump back up the page (the next column), ends a paragraph
            gap = same_page and not 0 <= ln.top - prev.top <= PARA_GAP * spacing
            last = units[-1] if units else None
            continues = (
                last is not None
                and last[0] == "paragraph"
                and not number
                and (
                    SUB_ITEM.match(text)
                    or (not same_page and (text[:1].islower() or not _TERMINAL.search(prev.text)))
                    or (same_page and not gap)
                    or last[2][-1][1].text.rstrip().endswith(":")
                )
            )
            if continues:
                last[2].append((page, ln))
            else:
                units.append(("paragraph", number.group(1) if number else "", [(page, ln)]))
            prev = ln
    return units
