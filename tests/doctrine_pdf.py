"""Doctrine-style PDFs written by the tests (fpdf2): running header and footer, page labels "1-n",
a chapter heading, numbered paragraphs with sub-items, a paragraph across a page break, words
hyphenated at a line end, a table and a two-column page. Every line is placed explicitly, so the
tests know exactly which words wrap where."""

from __future__ import annotations

from pathlib import Path

HEADER = "NATO UNCLASSIFIED"
FOOTER = "AJP-9.9 Edition A Version 1"
LINE = 5.0  # mm between lines
PARA = 4.0  # extra mm between paragraphs


class DoctrinePdf:
    """Pages with a running header, footer and page label; text placed line by line."""

    def __init__(self, chapter: int = 1, header: str = HEADER, footer: str = FOOTER):
        from fpdf import FPDF

        self.pdf = FPDF(format="A4", unit="mm")
        self.pdf.set_auto_page_break(False)
        self.chapter = chapter
        self.header, self.footer = header, footer
        self.page_no = 0
        self.y = 0.0
        self.new_page()

    def new_page(self) -> None:
        pdf = self.pdf
        pdf.add_page()
        self.page_no += 1
        pdf.set_font("Helvetica", size=8)
        pdf.text(90, 10, self.header)
        pdf.text(20, 287, self.footer)
        pdf.text(180, 287, f"{self.chapter}-{self.page_no}")
        pdf.text(90, 292, self.header)
        self.y = 25.0

    def room(self, lines: int) -> None:
        if self.y + lines * LINE > 270:
            self.new_page()

    def heading(self, text: str, size: int = 14) -> None:
        self.room(2)
        self.pdf.set_font("Helvetica", style="B", size=size)
        self.pdf.text(20, self.y, text)
        self.y += LINE + PARA

    def lines(self, lines: list[str], x: float = 20, break_after: int | None = None) -> None:
        """One paragraph, line by line; break_after: start a new page after that many lines."""
        self.pdf.set_font("Helvetica", size=10)
        for n, line in enumerate(lines):
            if break_after is not None and n == break_after:
                self.new_page()
                self.pdf.set_font("Helvetica", size=10)
            elif break_after is None:
                self.room(1)
            self.pdf.text(x, self.y, line)
            self.y += LINE
        self.y += PARA

    def table(self, rows: list[list[str]]) -> None:
        pdf = self.pdf
        pdf.set_font("Helvetica", size=9)
        self.room(len(rows) + 1)
        with pdf.table(col_widths=(40, 60, 70), text_align="LEFT", width=170) as t:
            pdf.set_xy(20, self.y - 4)
            for r in rows:
                row = t.row()
                for cell in r:
                    row.cell(cell)
        self.y = pdf.get_y() + LINE + PARA

    def columns(self, left: list[str], right: list[str]) -> None:
        self.pdf.set_font("Helvetica", size=10)
        y0 = self.y
        for n, line in enumerate(left):
            self.pdf.text(20, y0 + n * LINE, line)
        for n, line in enumerate(right):
            self.pdf.text(112, y0 + n * LINE, line)
        self.y = y0 + max(len(left), len(right)) * LINE + PARA

    def save(self, path: Path) -> Path:
        self.pdf.output(str(path))
        return path
