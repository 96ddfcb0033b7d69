"""Our documents in the shapes users' documents come in: does anything get lost, does quality hold?

Each corpus document is rewritten as a user's Markdown copy of it would be: hard-wrapped at 72
columns, YAML front matter (title, url) on top, and scraped chrome in the middle (a link menu, a
sign-up form, a share row). The text is otherwise the same, so the same questions should find the
same answers. Prints, for the original and the reshaped corpus, the share of content characters in
no passage (front matter and chrome aside), the passages, and `cimic eval` on the dev set and on
eval/questions.jsonl (real model).

    python bench/bench_real_documents.py [--width 72] [--questions eval/questions.jsonl]
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from cimic.chunking import _lines, chrome_lines, chunk_document  # noqa: E402
from cimic.documents import load_corpus  # noqa: E402

DEV = ROOT.parent / "shared" / "eval" / "dev.jsonl"
MENU = "- [Home](https://example.org/)\n- [About us](https://example.org/about)\n- [News](https://example.org/news)\n"
FORM = "Email Address\nFirst Name\nLast Name\nCountry\n"
SHARE = "[Share](https://example.org/s) | [Print](https://example.org/p) | [Mail](mailto:a@b.c)\n"
_ITEM = re.compile(r"^\s*(?:[-•*·▪◦–]|\d{1,3}[.)])\s+")


def wrap(text: str, width: int) -> str:
    """Hard-wrap every long line at width (list items with a hanging indent).

    Never inside a hyphenated word: "non-\nmilitary" would read the same but no longer match the
    evaluation's evidence strings, which compare text with runs of whitespace folded.
    """
    out = []
    for line in text.splitlines():
        if len(line) <= width:
            out.append(line)
            continue
        m = _ITEM.match(line)
        indent = " " * len(m.group(0)) if m else ""
        out.append(
            textwrap.fill(
                line,
                width,
                subsequent_indent=indent,
                break_long_words=False,
                break_on_hyphens=False,
            )
        )
    return "\n".join(out) + "\n"


def reshape(src: Path, dst: Path, width: int) -> None:
    """Write the Markdown copies of src's documents into dst, with a catalog mapping names back."""
    dst.mkdir(parents=True)
    catalog = json.loads((src / "catalog.json").read_text(encoding="utf-8"))
    entries = {}
    for doc in load_corpus(src).documents:
        body = wrap(doc.text[slice(*doc.content_span)], width)
        paras = body.split("\n\n")
        middle = max(1, len(paras) // 2)
        body = "\n\n".join([*paras[:middle], MENU + "\n" + FORM + "\n" + SHARE, *paras[middle:]])
        matter = {"title": doc.title, "url": doc.source or "https://example.org/doc"}
        front = "---\n" + "".join(f"{k}: {json.dumps(v)}\n" for k, v in matter.items()) + "---\n\n"
        name = Path(doc.doc).stem + ".md"
        (dst / name).write_text(front + body, encoding="utf-8")
        old = catalog["documents"].get(doc.doc, {})
        entries[name] = {"received_as": old.get("received_as") or doc.doc}
    (dst / "catalog.json").write_text(json.dumps({"documents": entries}), encoding="utf-8")


def lost(corpus: Path) -> list[tuple[str, int, int, int]]:
    """Per document: (name, content characters in no passage, content characters, passages)."""
    out = []
    for doc in load_corpus(corpus).documents:
        lo, hi = doc.content_span
        chunks = chunk_document(doc)
        inside = bytearray(len(doc.text))
        for c in chunks:
            inside[c.start : c.end] = b"\1" * (c.end - c.start)
        lines = _lines(doc.text, lo, hi)
        for i in chrome_lines(lines):
            inside[lines[i].start : lines[i].end] = b"\1" * (lines[i].end - lines[i].start)
        headings = {p for c in chunks if c.section for p in c.section.split(" › ")}
        labels = {"Definition", "Source"}
        missing = total = 0
        for ln in lines:
            if ln is None:
                continue
            heading = ln.text.lstrip("#").strip().rstrip(":").strip()
            chars = [i for i in range(ln.start, ln.end) if not doc.text[i].isspace()]
            total += len(chars)
            if (
                heading in headings
                or ln.text in labels
                or re.fullmatch(r"(?i)key ?words:?", ln.text)
            ):
                continue
            keywords = {k for c in chunks for k in c.keywords}
            sources = {s for c in chunks if c.source for s in c.source.split("; ")}
            if ln.text in sources or all(p.strip() in keywords for p in ln.text.split(" / ")):
                continue
            missing += sum(1 for i in chars if not inside[i])
        out.append((doc.doc, missing, total, len(chunks)))
    return out


def evaluate(corpus: Path, index: Path, questions: Path) -> str:
    """The summary rows of `cimic eval` on one question file."""
    cimic = [sys.executable, "-m", "cimic", "--corpus", str(corpus), "--index", str(index)]
    subprocess.run([*cimic, "index"], check=True, capture_output=True)
    res = subprocess.run(
        [*cimic, "eval", str(questions)], check=True, capture_output=True, text=True
    )
    table = res.stdout.split("operating curve")[0]  # the summary table, not the per-kind one
    rows = [ln for ln in table.splitlines() if re.match(r"^(all|held_out|leave-one)\s", ln)]
    return "\n".join(rows)


def main() -> None:
    """Reshape the corpus, then report lost characters and eval figures for both shapes."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--width", type=int, default=72)
    ap.add_argument("--questions", type=Path, default=ROOT / "eval" / "questions.jsonl")
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="cimic-reshaped-"))
    try:
        shaped = work / "corpus"
        reshape(ROOT / "corpus", shaped, args.width)
        for label, corpus in (("original", ROOT / "corpus"), ("reshaped", shaped)):
            print(f"== {label} corpus ({corpus})")
            for name, missing, total, passages in lost(corpus):
                print(f"  {name:70s} {passages:4d} passages  {missing:6d} of {total:6d} chars lost")
            for q in (DEV, args.questions):
                print(f"  -- cimic eval {q.name}")
                print(textwrap.indent(evaluate(corpus, work / f"index-{label}", q), "  "))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
