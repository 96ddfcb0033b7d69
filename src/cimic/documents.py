"""Corpus files -> Documents: exact text, content hash, citation metadata, skipped-file report."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path

from .errors import CorpusError
from .types import Document

CATALOG = "catalog.json"
SUPPORTED = {".txt", ".md"}
MAX_BYTES = 20_000_000

# Words that mark the interface text of a scraped web page (sign-up, log-in, downloads).
_CHROME = re.compile(
    r"\b(password|log ?in|log ?out|sign ?(in|up)|subscribe|newsletter|cookies?|click|"
    r"e-?mail address|download|send new code|verification code|accept all|skip to)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Skipped:
    """A corpus file that was not indexed, and why."""

    path: str
    reason: str


@dataclass(frozen=True)
class Corpus:
    """Everything read from a corpus directory."""

    documents: tuple[Document, ...]
    skipped: tuple[Skipped, ...]

    def by_doc(self) -> dict[str, Document]:
        """Documents keyed by their relative path."""
        return {d.doc: d for d in self.documents}


def sha256_text(text: str) -> str:
    """Hex SHA-256 of text encoded as UTF-8."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def chrome_prefix_end(text: str, max_line: int = 200) -> int:
    """Offset where content starts, after a leading run of web-page chrome lines.

    A scraped page often opens with interface text (newsletter, password reset, downloads).
    Such lines are short and use the vocabulary of web forms; the run ends at the first line
    that does not, so a document with no chrome starts at 0.
    """
    end = 0
    pos = 0
    for line in text.splitlines(keepends=True):
        stripped = line.strip()
        if stripped and (len(stripped) > max_line or not _CHROME.search(stripped)):
            break
        pos += len(line)
        if stripped:
            end = pos
    # Keep leading blank lines after the chrome out of the content too.
    while end < len(text) and text[end] in "\r\n":
        end += 1
    return end if end < len(text) else 0


def load_catalog(corpus_dir: Path) -> dict[str, dict]:
    """Per-document metadata from corpus_dir/catalog.json ({} when absent or unreadable)."""
    path = corpus_dir / CATALOG
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return dict(data.get("documents", {}))
    except (OSError, ValueError, AttributeError):
        return {}


def _default_title(rel: str, text: str) -> str:
    for line in text.splitlines():
        s = line.strip().lstrip("#").strip()
        if s:
            return s[:120]
    return Path(rel).stem.replace("-", " ").replace("_", " ")


def read_document(path: Path, rel: str, meta: dict | None = None) -> Document:
    """Read one .txt/.md file as strict UTF-8; raises ValueError with a reason if it cannot."""
    size = path.stat().st_size
    if size == 0:
        raise ValueError("empty file")
    if size > MAX_BYTES:
        raise ValueError(f"larger than {MAX_BYTES // 1_000_000} MB")
    data = path.read_bytes()
    if b"\x00" in data:
        raise ValueError("binary content (NUL bytes); not a text file")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValueError(f"not valid UTF-8 (byte {exc.start}); save it as UTF-8") from None
    if text.startswith("\ufeff"):
        raise ValueError("starts with a byte-order mark; save it as UTF-8 without BOM")
    if not text.strip():
        raise ValueError("no text (only whitespace)")
    meta = meta or {}
    return Document(
        doc=rel,
        text=text,
        sha256=sha256_text(text),
        title=meta.get("title") or _default_title(rel, text),
        source=meta.get("url") or meta.get("source"),
        publisher=meta.get("publisher"),
        date=meta.get("date"),
        content_start=chrome_prefix_end(text),
    )


def load_corpus(corpus_dir: str | Path) -> Corpus:
    """Read every supported file under corpus_dir; unreadable ones are skipped with a reason."""
    root = Path(corpus_dir)
    if not root.is_dir():
        raise CorpusError(
            f"corpus directory {root} does not exist; create it and put .txt or .md files in it"
        )
    catalog = load_catalog(root)
    real_root = root.resolve()
    docs: list[Document] = []
    skipped: list[Skipped] = []
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).as_posix()
        if any(part.startswith(".") for part in path.relative_to(root).parts) or rel == CATALOG:
            continue
        if path.is_symlink():
            target = path.resolve()
            if not target.is_relative_to(real_root):
                skipped.append(
                    Skipped(rel, "symbolic link pointing outside the corpus; not followed")
                )
                continue
        if path.is_dir():
            continue
        if path.suffix.lower() not in SUPPORTED:
            skipped.append(
                Skipped(rel, f"unsupported format '{path.suffix or 'none'}'; use .txt or .md")
            )
            continue
        try:
            docs.append(read_document(path, rel, catalog.get(rel)))
        except (ValueError, OSError) as exc:
            skipped.append(Skipped(rel, str(exc)))
    return Corpus(tuple(docs), tuple(skipped))
