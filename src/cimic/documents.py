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
HTML = {".html", ".htm"}
SUPPORTED = {".txt", ".md", ".markdown", ".pdf"} | HTML
MIN_HTML_WORDS = 5
MAX_LINE = 100_000
MAX_BYTES = 20_000_000
# A guard against a PDF that hangs the parser, not a speed limit: pdfplumber reads about ten pages a
# second here, so a 1,000-page publication fits.
PDF_TIMEOUT = 300

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
    catalog_problems: tuple[str, ...] = ()  # what is wrong with catalog.json, one line each

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


_FRONT_MATTER = re.compile(
    r"\A\ufeff?---[ \t]*\r?\n(.*?\r?\n)?(?:---|\.\.\.)[ \t]*(?:\r?\n|\Z)", re.S
)
FRONT_MATTER_FIELDS = ("title", "date", "url", "publisher", "source")


def front_matter(text: str) -> tuple[dict, int]:
    """A Markdown file's YAML front matter (`---` ... `---` at its top): (metadata, end offset).

    Only a YAML mapping counts; its title, date, url, publisher and source are kept as text
    (a list or mapping value is left out). Text without front matter gives ({}, 0); so does a
    block that is not valid YAML, which then stays part of the document's text.
    """
    import yaml

    m = _FRONT_MATTER.match(text)
    if not m:
        return {}, 0
    try:
        data = yaml.safe_load(m.group(1) or "")
    except yaml.YAMLError:
        return {}, 0
    if not isinstance(data, dict):
        return {}, 0
    meta = {}
    for key in FRONT_MATTER_FIELDS:
        value = data.get(key)
        if isinstance(value, (str, int, float)) or hasattr(value, "isoformat"):
            value = str(value).strip()
            if value:
                meta[key] = value
    return meta, m.end()


CATALOG_FIELDS = ("title", "publisher", "date", "url", "source", "kind", "received_as", "note")


def read_catalog(corpus_dir: Path) -> tuple[dict[str, dict], tuple[str, ...]]:
    """Per-document metadata from corpus_dir/catalog.json, and one line per problem found in it.

    A file that is not valid JSON, or not shaped {"documents": {file: {field: text|null}}}, gives
    no metadata; a bad entry, or one for a file that is not in the corpus, is left out. Titles then
    come from the documents themselves.
    """
    path = corpus_dir / CATALOG
    if not path.is_file():
        return {}, ()
    where = f"{corpus_dir.name}/{CATALOG}"
    fallback = "titles come from the documents"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        return {}, (f"{where} is not UTF-8 text; {fallback}",)
    except json.JSONDecodeError as exc:
        return {}, (
            f"{where} is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg}); {fallback}",
        )
    except OSError as exc:
        return {}, (f"{where} cannot be read ({exc.strerror}); {fallback}",)
    docs = data.get("documents") if isinstance(data, dict) else None
    if not isinstance(docs, dict):
        return {}, (f'{where} has no "documents" object of file names; {fallback}',)
    out: dict[str, dict] = {}
    problems: list[str] = []
    for name, entry in docs.items():
        if not isinstance(entry, dict):
            problems.append(f"{where}: entry {name!r} is not an object; left out")
            continue
        bad = [
            k for k in CATALOG_FIELDS if k in entry and not isinstance(entry[k], (str, type(None)))
        ]
        if bad:
            problems.append(
                f"{where}: entry {name!r} field {bad[0]!r} must be text or null; left out"
            )
            continue
        if not (corpus_dir / name).is_file():
            problems.append(f"{where}: entry {name!r} names no file in the corpus; left out")
            continue
        out[name] = entry
    return out, tuple(problems)


def load_catalog(corpus_dir: Path) -> dict[str, dict]:
    """The usable per-document metadata of corpus_dir/catalog.json (see read_catalog)."""
    return read_catalog(corpus_dir)[0]


def _default_title(rel: str, text: str, start: int = 0) -> str:
    for line in text[start:].splitlines():
        s = line.strip().lstrip("#").strip()
        if s:
            return s[:120]
    return Path(rel).stem.replace("-", " ").replace("_", " ")


def _decode_text(data: bytes) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ValueError("UTF-16 text; save it as UTF-8")
    if b"\x00" in data:
        raise ValueError("binary content (NUL bytes); not a text file")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValueError(f"not valid UTF-8 (byte {exc.start}); save it as UTF-8") from None


def _read_html(data: bytes) -> tuple[str, dict]:
    """Main text of a web page (no navigation or page chrome), with its title and canonical URL."""
    import trafilatura

    text = trafilatura.extract(
        data, output_format="txt", include_comments=False, include_tables=True, favor_precision=True
    )
    if not text or len(text.split()) < MIN_HTML_WORDS:  # a menu word or two is not an article
        raise ValueError("no main text found in the HTML page")
    meta = trafilatura.extract_metadata(data)
    info = {"title": getattr(meta, "title", None), "url": getattr(meta, "url", None)}
    return text, {k: v for k, v in info.items() if v}


def pdf_text(path: str):
    """The PDF's body text and structure (see pdf.py); ValueError for encrypted or unreadable files."""
    from pypdf import PdfReader

    from .pdf import read_pdf

    reader = PdfReader(path)
    if reader.is_encrypted:
        try:
            opened = reader.decrypt("")
        except Exception:  # noqa: BLE001 - any failure means we cannot open it
            opened = 0
        if not opened:
            raise ValueError("encrypted PDF; save an unencrypted copy")
    return read_pdf(path)


def _read_pdf(path: Path, timeout: float):
    """A PDF's text and structure, parsed in a child process that is stopped after `timeout` s."""
    import multiprocessing as mp

    with mp.get_context("spawn").Pool(1) as pool:
        job = pool.apply_async(pdf_text, (str(path),))
        try:
            result = job.get(timeout)
        except mp.TimeoutError:
            raise ValueError(f"PDF parsing took longer than {timeout:.0f} s; skipped") from None
        except ValueError:
            raise
        except Exception as exc:  # noqa: BLE001 - a malformed PDF can raise anything
            raise ValueError(f"unreadable PDF ({type(exc).__name__}: {exc})") from None
    if not result.text.strip():
        raise ValueError("no extractable text in the PDF (scanned images?)")
    return result


def read_document(
    path: Path, rel: str, meta: dict | None = None, pdf_timeout: float = PDF_TIMEOUT
) -> Document:
    """Read one supported file; raises ValueError with a reason if it cannot.

    .txt and .md are strict UTF-8 and kept exactly; HTML and PDF are reduced to their text, which
    `Document.text` holds and passages' offsets point into.
    """
    size = path.stat().st_size
    if size == 0:
        raise ValueError("empty file")
    if size > MAX_BYTES:
        raise ValueError(f"larger than {MAX_BYTES // 1_000_000} MB")
    data = path.read_bytes()
    suffix = path.suffix.lower()
    extracted: dict = {}
    pdf = None
    if suffix in HTML:
        text, extracted = _read_html(data)
    elif suffix == ".pdf":
        pdf = _read_pdf(path, pdf_timeout)
        text = pdf.text
        extracted = {"title": pdf.title} if pdf.title else {}
    else:
        text = _decode_text(data)
    matter_end = 0
    if suffix in {".md", ".markdown"}:
        matter, matter_end = front_matter(text)
        extracted = matter
    if not text[matter_end:].strip():
        raise ValueError("no text (only whitespace)")
    longest = max(map(len, text.splitlines()), default=0)
    if longest > MAX_LINE:
        raise ValueError(
            f"has a line of {longest:,} characters (over {MAX_LINE:,}); not a prose document"
        )
    meta = {**extracted, **{k: v for k, v in (meta or {}).items() if v}}
    start = matter_end + chrome_prefix_end(text[matter_end:])
    if text.startswith("\ufeff"):  # a UTF-8 byte-order mark stays in the text but is not content
        start = max(start, 1)
    while matter_end and start < len(text) and text[start] in "\r\n":
        start += 1  # blank lines after the front matter
    return Document(
        doc=rel,
        text=text,
        sha256=hashlib.sha256(data).hexdigest(),
        title=meta.get("title") or _default_title(rel, text, start),
        source=meta.get("url") or meta.get("source"),
        publisher=meta.get("publisher"),
        date=meta.get("date"),
        content_start=start,
        page_starts=pdf.page_starts if pdf else (),
        page_labels=pdf.page_labels if pdf else (),
        blocks=pdf.blocks if pdf else (),
        classification=pdf.classification if pdf else None,
    )


def load_corpus(corpus_dir: str | Path) -> Corpus:
    """Read every supported file under corpus_dir; unreadable ones are skipped with a reason."""
    root = Path(corpus_dir)
    if not root.is_dir():
        raise CorpusError(
            f"corpus directory {root} does not exist; create it and put .txt, .md, .html or .pdf files in it"
        )
    catalog, catalog_problems = read_catalog(root)
    real_root = root.resolve()
    docs: list[Document] = []
    skipped: list[Skipped] = []
    seen: dict[str, str] = {}  # content hash -> first file with it
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
                Skipped(
                    rel,
                    f"unsupported format '{path.suffix or 'none'}'; use .txt, .md, .html or .pdf",
                )
            )
            continue
        try:
            doc = read_document(path, rel, catalog.get(rel))
        except (ValueError, OSError) as exc:
            skipped.append(Skipped(rel, str(exc)))
            continue
        if doc.sha256 in seen:
            skipped.append(Skipped(rel, f"exact duplicate of {seen[doc.sha256]}"))
            continue
        seen[doc.sha256] = rel
        docs.append(doc)
    return Corpus(tuple(docs), tuple(skipped), catalog_problems)
