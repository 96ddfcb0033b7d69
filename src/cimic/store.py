"""index/ on disk: generations with a manifest and checksums, published by an atomic switch.

Layout::

    index/CURRENT            name of the published generation (replaced atomically)
    index/gen-<id>/          one complete, verified build
        manifest.json        what built it, per-document hashes, per-file SHA-256
        texts.txt            every document's text, one after another (the one copy of it, UTF-8)
        documents.json       every document's metadata and where its text lies in texts.txt
        chunks.npz chunk_strings.json   the chunk table: spans into the texts, metadata as columns
        dense.faiss          chunk vectors (exact below ANN_THRESHOLD rows, IVF with float16 above)
        sentences.npy        (m, 3) int32: chunk row, start, end of each sentence inside its chunk
        sentence_vectors.npy (m, d) int8 codes, memory-mapped: only the rows a question reads are loaded
        sentence_scales.npy  (m,) float32: each sentence vector is its codes times its scale
        chunk_terms.npy      int32 ids (BM25 vocabulary) of each chunk's content terms, numbers excluded,
        chunk_term_rows.npy  (n + 1,) int64: chunk i's ids are chunk_terms[rows[i]:rows[i+1]]
        words.faiss          the vocabulary's word vectors, searched like chunk vectors (exact, IVF above
                             WORD_ANN_THRESHOLD words), so a question's word neighbours cost about
                             the same at any vocabulary size
        vocabulary.json bm25/

Serving memory is about the documents' text, the BM25 matrix and the chunk vectors; sentence
vectors stay on disk until read (measured in bench/bench_library.py).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import time
import uuid
from collections.abc import Collection, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from functools import lru_cache
from pathlib import Path

import numpy as np

from .dense import WORD_ANN_THRESHOLD, DenseIndex
from .embedding import CANARY_MIN_COSINE
from .errors import IndexCorruptError, IndexMismatchError, IndexMissingError
from .lexical import LexicalIndex, analyzer_settings, terms
from .types import Chunk, Document
from .vocabulary import Vocabulary

# 4: chunk table, int8 sentence vectors; 5: term sets, words.faiss; 6: texts.txt; 7: the names of
# the vocabulary as the corpus writes them
FORMAT_VERSION = 7
VERIFY_THREADS = 2  # files hashed at once while a generation loads (hashlib releases the GIL)
CURRENT = "CURRENT"
KEEP_GENERATIONS = 2


@dataclass
class IndexData:
    """One loaded generation: everything a query needs, already in memory."""

    path: Path
    manifest: dict
    chunks: ChunkTable
    documents: dict[str, Document]
    dense: DenseIndex
    lexical: LexicalIndex
    sentences: np.ndarray  # (m, 3) int32 rows: chunk id, start, end (offsets inside the chunk)
    sentence_vectors: QuantizedVectors  # (m, d), int8 codes memory-mapped; rows read as float32
    sentence_rows: np.ndarray  # (n + 1,) int64: sentences of chunk i are rows [i, i+1)
    vocabulary: Vocabulary
    word_vectors: DenseIndex | None = None  # rows = vocabulary.vector_words (exact, IVF when many)
    word_index: dict[str, int] = field(default_factory=dict)
    chunk_terms: Ragged | None = (
        None  # each chunk's content term ids (near-duplicates compare them)
    )
    # Corpus word -> its nearest corpus words, filled as questions ask (retrieval.neighbour_terms):
    # a fact of this generation's word vectors, so it is never stale and goes with the generation.
    neighbour_memo: dict[str, tuple[str, ...]] = field(
        default_factory=dict, repr=False, compare=False
    )


class Ragged:
    """Rows of different lengths: row i is values[offsets[i]:offsets[i + 1]] (memory-mapped)."""

    def __init__(self, values: np.ndarray, offsets: np.ndarray):
        self.values = values
        self.offsets = offsets

    @classmethod
    def from_rows(cls, rows: Sequence[np.ndarray], dtype=np.int32) -> Ragged:
        """Pack a list of 1-d arrays."""
        offsets = np.zeros(len(rows) + 1, dtype=np.int64)
        offsets[1:] = np.cumsum([len(r) for r in rows])
        values = np.concatenate(rows).astype(dtype) if len(rows) else np.zeros(0, dtype)
        return cls(values, offsets)

    def __len__(self) -> int:
        return len(self.offsets) - 1

    def __getitem__(self, i: int) -> np.ndarray:
        return np.asarray(self.values[int(self.offsets[i]) : int(self.offsets[i + 1])])

    def save(self, directory: Path, name: str) -> None:
        """Write <name>.npy (values) and <name>_rows.npy (offsets)."""
        np.save(directory / f"{name}.npy", self.values)
        np.save(directory / f"{name}_rows.npy", self.offsets)

    @classmethod
    def load(cls, directory: Path, name: str) -> Ragged:
        """Memory-map the values, read the offsets; ValueError when they disagree."""
        values = _mapped(directory / f"{name}.npy")
        offsets = np.load(directory / f"{name}_rows.npy", allow_pickle=False)
        if offsets.ndim != 1 or not len(offsets) or offsets[0] != 0 or offsets[-1] != len(values):
            raise ValueError(f"{name} offsets do not span its values")
        return cls(values, offsets)


_STRING_FIELDS = ("section", "kind", "source", "para", "keywords")  # indexes into a string table
_INT_FIELDS = ("entry", "page", "page_end")  # -1 stands for None
_KEYWORD_SEP = "\x1f"


class ChunkTable(Sequence[Chunk]):
    """The index's chunks as numpy columns; a Chunk is made when one is read.

    A chunk's text is its span of its document's text (the chunker's contract), so the text is
    held once, in the documents. About 50 bytes a row beside it, against some 2 KB for a list of
    Chunk objects with their own copies of the text.
    """

    def __init__(
        self,
        columns: dict[str, np.ndarray],
        strings: list[str],
        doc_names: list[str],
        documents: dict[str, Document],
    ):
        self.columns = columns
        self.strings = strings
        self.doc_names = doc_names
        self._texts = [documents[d].text for d in doc_names]
        self._doc_number = {d: i for i, d in enumerate(doc_names)}
        self._recent = lru_cache(maxsize=1_024)(self._make)  # a question reads a few hundred rows

    @classmethod
    def from_chunks(cls, chunks: Sequence[Chunk], documents: dict[str, Document]) -> ChunkTable:
        """Columns of a list of chunks; ValueError when a chunk is not its document's span."""
        doc_names = list(dict.fromkeys(c.doc for c in chunks))
        number = {d: i for i, d in enumerate(doc_names)}
        table: dict[str, int] = {}

        def code(value: str | None) -> int:
            return -1 if value is None else table.setdefault(value, len(table))

        n = len(chunks)
        cols = {
            "doc": np.empty(n, np.int32),
            "start": np.empty(n, np.int64),
            "end": np.empty(n, np.int64),
            "nato_agreed": np.empty(n, np.bool_),
            **{f: np.empty(n, np.int32) for f in _STRING_FIELDS + _INT_FIELDS},
        }
        for i, c in enumerate(chunks):
            if documents[c.doc].text[c.start : c.end] != c.text:
                raise ValueError(f"chunk {i} of {c.doc} is not the span {c.start}-{c.end} of it")
            cols["doc"][i], cols["start"][i], cols["end"][i] = number[c.doc], c.start, c.end
            cols["nato_agreed"][i] = c.nato_agreed
            cols["section"][i], cols["kind"][i] = code(c.section), code(c.kind)
            cols["source"][i], cols["para"][i] = code(c.source), code(c.para)
            cols["keywords"][i] = code(_KEYWORD_SEP.join(c.keywords)) if c.keywords else -1
            for f in _INT_FIELDS:
                value = getattr(c, f)
                cols[f][i] = -1 if value is None else value
        return cls(cols, list(table), doc_names, documents)

    def save(self, directory: Path) -> None:
        """Write chunks.npz and chunk_strings.json."""
        with open(directory / "chunks.npz", "wb") as f:
            np.savez(f, **self.columns)
        _write_json(
            directory / "chunk_strings.json", {"docs": self.doc_names, "strings": self.strings}
        )

    @classmethod
    def load(cls, directory: Path, documents: dict[str, Document]) -> ChunkTable:
        """Read what save wrote; the documents supply the texts."""
        meta = json.loads((directory / "chunk_strings.json").read_text(encoding="utf-8"))
        with np.load(directory / "chunks.npz", allow_pickle=False) as z:
            columns = {k: z[k] for k in z.files}
        missing = {"doc", "start", "end", "nato_agreed", *_STRING_FIELDS, *_INT_FIELDS} - set(
            columns
        )
        if missing or len({len(c) for c in columns.values()}) > 1:
            raise ValueError(f"chunk table lacks or misaligns {sorted(missing) or 'columns'}")
        unknown = [d for d in meta["docs"] if d not in documents]
        if unknown:
            raise ValueError(f"chunk table names documents not in documents.json: {unknown[:3]}")
        return cls(columns, meta["strings"], meta["docs"], documents)

    def __len__(self) -> int:
        return len(self.columns["start"])

    def _string(self, field_name: str, i: int) -> str | None:
        k = int(self.columns[field_name][i])
        return None if k < 0 else self.strings[k]

    def string(self, i: int, field_name: str) -> str | None:
        """One string field (section, kind, source, para) of row i, without making the Chunk."""
        if field_name not in _STRING_FIELDS:
            raise KeyError(field_name)
        return self._string(field_name, int(i))

    def __getitem__(self, i):  # noqa: D105 - Sequence protocol
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        i = int(i)
        if i < 0:
            i += len(self)
        if not 0 <= i < len(self):
            raise IndexError(i)
        return self._recent(i)

    def _make(self, i: int) -> Chunk:
        c = self.columns
        d = int(c["doc"][i])
        start, end = int(c["start"][i]), int(c["end"][i])
        ints = {f: (None if c[f][i] < 0 else int(c[f][i])) for f in _INT_FIELDS}
        keywords = self._string("keywords", i)
        return Chunk(
            doc=self.doc_names[d],
            start=start,
            end=end,
            text=self._texts[d][start:end],
            section=self._string("section", i),
            kind=self._string("kind", i) or "paragraph",
            source=self._string("source", i),
            keywords=tuple(keywords.split(_KEYWORD_SEP)) if keywords else (),
            nato_agreed=bool(c["nato_agreed"][i]),
            para=self._string("para", i),
            **ints,
        )

    def __iter__(self) -> Iterator[Chunk]:
        return (self[i] for i in range(len(self)))

    def text(self, i: int) -> str:
        """The text of row i, without making the whole Chunk."""
        c = self.columns
        return self._texts[int(c["doc"][i])][int(c["start"][i]) : int(c["end"][i])]

    def doc_of(self, i: int) -> str:
        """The document of row i."""
        return self.doc_names[int(self.columns["doc"][i])]

    def doc_mask(self, docs: Collection[str]) -> np.ndarray:
        """Boolean mask of the rows whose document is in docs."""
        wanted = [self._doc_number[d] for d in docs if d in self._doc_number]
        return np.isin(self.columns["doc"], np.asarray(wanted, dtype=np.int32))

    def rows_by_doc(self) -> dict[str, np.ndarray]:
        """Each document's rows, in order."""
        order = np.argsort(self.columns["doc"], kind="stable")
        counts = np.bincount(self.columns["doc"], minlength=len(self.doc_names))
        parts = np.split(order, np.cumsum(counts)[:-1])
        return {d: parts[i] for i, d in enumerate(self.doc_names)}


class QuantizedVectors:
    """Unit vectors as int8 codes with one float32 scale per row (a quarter of float32's bytes).

    Reading rows (an index, slice or array of indexes) gives float32 vectors; a cosine moves by
    about 1e-3 at most. Quantizing what was read gives the same codes again, so vectors reused
    by an incremental rebuild do not drift.
    """

    def __init__(self, codes: np.ndarray, scales: np.ndarray):
        self.codes = codes
        self.scales = scales

    @classmethod
    def quantize(cls, vectors: np.ndarray) -> QuantizedVectors:
        """Codes and scales of an (m, d) float array."""
        codes = np.empty(vectors.shape, dtype=np.int8)
        scales = np.ones(len(vectors), dtype=np.float32)
        for lo in range(0, len(vectors), 65_536):  # in blocks: no float copy of a whole library
            block = np.asarray(vectors[lo : lo + 65_536], dtype=np.float32)
            top = np.abs(block).max(axis=1) / 127.0 if block.size else np.zeros(len(block))
            scale = np.where(top > 0, top, 1.0).astype(np.float32)
            codes[lo : lo + len(block)] = np.clip(np.rint(block / scale[:, None]), -127, 127)
            scales[lo : lo + len(block)] = scale
        return cls(codes, scales)

    @classmethod
    def empty(cls, rows: int, dim: int) -> QuantizedVectors:
        """Room for rows vectors, filled by put (zeros until then)."""
        return cls(np.zeros((rows, dim), np.int8), np.ones(rows, np.float32))

    def put(self, rows, vectors: np.ndarray) -> None:
        """Quantize vectors into the given rows."""
        q = QuantizedVectors.quantize(vectors)
        self.codes[rows] = q.codes
        self.scales[rows] = q.scales

    def __len__(self) -> int:
        return len(self.codes)

    @property
    def shape(self) -> tuple[int, ...]:
        """(rows, dimension), like an array's."""
        return tuple(self.codes.shape)

    def __getitem__(self, rows) -> np.ndarray:
        return np.asarray(self.codes[rows], dtype=np.float32) * self.scales[rows][..., None]

    def dot(self, rows, query: np.ndarray) -> np.ndarray:
        """Cosines of the given rows (index array or slice) with a query vector."""
        codes = np.asarray(self.codes[rows], dtype=np.float32)
        return (codes @ np.asarray(query, dtype=np.float32)) * self.scales[rows]

    def save(self, directory: Path, name: str) -> None:
        """Write <name>_vectors.npy (codes) and <name>_scales.npy."""
        np.save(directory / f"{name}_vectors.npy", self.codes)
        np.save(directory / f"{name}_scales.npy", self.scales)

    @classmethod
    def load(cls, directory: Path, name: str) -> QuantizedVectors:
        """Memory-map the codes, read the scales."""
        codes = _mapped(directory / f"{name}_vectors.npy")
        scales = np.load(directory / f"{name}_scales.npy", allow_pickle=False)
        if codes.dtype != np.int8 or scales.shape != codes.shape[:1]:
            raise ValueError(f"{name} vectors and scales disagree")
        return cls(codes, scales.astype(np.float32))


def _mapped(path: Path) -> np.ndarray:
    """A .npy file memory-mapped read-only, as a plain array view (np.memmap's slicing costs ~5 µs
    of Python a call, and questions slice it hundreds of times); its base keeps the map open."""
    return np.load(path, mmap_mode="r", allow_pickle=False).view(np.ndarray)


def chunk_term_sets(lexical: LexicalIndex, texts: Sequence[str]) -> Ragged:
    """Each text's content terms without numbers (list numbering says nothing), as BM25 term ids."""
    return Ragged.from_rows([lexical.ids(t for t in terms(x) if not t.isdigit()) for x in texts])


def _sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _fsync_tree(root: Path) -> None:
    for path in sorted(root.rglob("*")):
        if path.is_file():
            with open(path, "rb") as f:
                os.fsync(f.fileno())
    _fsync_dir(root)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_json(path: Path, data) -> None:
    path.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")


def _write_documents(directory: Path, documents: dict[str, Document]) -> None:
    """texts.txt (every text, concatenated) and documents.json (metadata, and each text's
    character span in texts.txt): a library's texts load in one decode, not a JSON parse."""
    meta, at = {}, 0
    with open(directory / "texts.txt", "w", encoding="utf-8", newline="") as f:
        for k, d in documents.items():
            f.write(d.text)
            meta[k] = {
                **{f: v for f, v in asdict(d).items() if f != "text"},
                "text": [at, at + len(d.text)],
            }
            at += len(d.text)
    _write_json(directory / "documents.json", meta)


def _read_documents(gen: Path) -> dict[str, Document]:
    texts = (gen / "texts.txt").read_bytes().decode("utf-8")  # bytes: newlines kept as written
    out = {}
    for k, d in json.loads((gen / "documents.json").read_text(encoding="utf-8")).items():
        a, b = d.pop("text")
        if not 0 <= a <= b <= len(texts):
            raise ValueError(f"document {k!r} points outside texts.txt")
        out[k] = Document(
            **{
                **d,
                "text": texts[a:b],
                "page_starts": tuple(d.get("page_starts", ())),
                "page_labels": tuple(d.get("page_labels", ())),
                "blocks": tuple(tuple(x) for x in d.get("blocks", ())),
            }
        )
    return out


def write_generation(
    index_dir: Path,
    manifest: dict,
    chunks: Sequence[Chunk],
    documents: dict[str, Document],
    vectors: np.ndarray,
    lexical: LexicalIndex,
    sentences: np.ndarray,
    sentence_vectors: np.ndarray | QuantizedVectors,
    vocabulary: Vocabulary,
    word_vectors: np.ndarray | None = None,
    chunk_terms: Ragged | None = None,
) -> Path:
    """Write a new generation aside, verify it, then publish it; returns its directory."""
    index_dir.mkdir(parents=True, exist_ok=True)
    # Names sort by build time (rollback picks the newest older one): to the microsecond, so two
    # builds within one second still sort in order; the random tail keeps concurrent names apart.
    gen_id = datetime.now().strftime("%Y%m%dT%H%M%S%f") + "-" + uuid.uuid4().hex[:6]
    tmp = index_dir / f".building-{gen_id}"
    tmp.mkdir()
    try:
        table = (
            chunks if isinstance(chunks, ChunkTable) else ChunkTable.from_chunks(chunks, documents)
        )
        table.save(tmp)
        _write_documents(tmp, documents)
        DenseIndex.build(vectors).save(tmp / "dense.faiss")
        np.save(tmp / "sentences.npy", sentences.astype(np.int32))
        if not isinstance(sentence_vectors, QuantizedVectors):
            sentence_vectors = QuantizedVectors.quantize(sentence_vectors)
        sentence_vectors.save(tmp, "sentence")
        _write_json(tmp / "vocabulary.json", vocabulary.to_dict())
        dim = vectors.shape[1] if vectors.ndim == 2 else 0
        words = np.zeros((0, dim), np.float32) if word_vectors is None else word_vectors
        DenseIndex.build(words, ann_threshold=WORD_ANN_THRESHOLD).save(tmp / "words.faiss")
        (tmp / "bm25").mkdir()
        lexical.save(tmp / "bm25")
        if chunk_terms is None:  # each chunk's content terms, numbers excluded, as BM25 term ids
            chunk_terms = chunk_term_sets(lexical, [table.text(i) for i in range(len(table))])
        chunk_terms.save(tmp, "chunk_terms")
        files = {
            p.relative_to(tmp).as_posix(): _sha256_file(p)
            for p in sorted(tmp.rglob("*"))
            if p.is_file()
        }
        _write_json(
            tmp / "manifest.json", {**manifest, "format_version": FORMAT_VERSION, "files": files}
        )
        _fsync_tree(tmp)
        final = index_dir / f"gen-{gen_id}"
        os.replace(tmp, final)
        _fsync_dir(index_dir)
        verify_generation(final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    publish(index_dir, final.name)
    prune(index_dir)
    return final


@contextlib.contextmanager
def build_lock(index_dir: Path):
    """Hold index_dir/.lock exclusively: one build at a time, a second one waits."""
    import fcntl

    index_dir.mkdir(parents=True, exist_ok=True)
    with open(index_dir / ".lock", "a+") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def publish(index_dir: Path, name: str) -> None:
    """Point CURRENT at generation `name` with an atomic rename."""
    tmp = index_dir / f".{CURRENT}.{uuid.uuid4().hex[:6]}"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(name + "\n")
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, index_dir / CURRENT)
    _fsync_dir(index_dir)


def current_generation(index_dir: Path) -> Path:
    """Directory of the published generation; IndexMissingError when there is none."""
    pointer = index_dir / CURRENT
    try:
        name = pointer.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        raise IndexMissingError(f"no index in {index_dir}; run `cimic index` to build it") from None
    gen = index_dir / name
    if not name.startswith("gen-") or "/" in name or not gen.is_dir():
        raise IndexCorruptError(
            f"{pointer} names a missing generation '{name}'; run `cimic index` to rebuild"
        )
    return gen


def prune(index_dir: Path, keep: int = KEEP_GENERATIONS) -> None:
    """Delete all but the newest `keep` generations (never the published one) and stale builds."""
    current = (index_dir / CURRENT).read_text(encoding="utf-8").strip()
    for old in [g for g in generations(index_dir) if g.name != current][keep - 1 :]:
        shutil.rmtree(old, ignore_errors=True)
    for stale in index_dir.glob(".building-*"):
        if time.time() - stale.stat().st_mtime > 3600:
            shutil.rmtree(stale, ignore_errors=True)


def generations(index_dir: Path) -> list[Path]:
    """Every complete generation in index_dir, newest first."""
    return sorted(
        (p for p in index_dir.glob("gen-*") if p.is_dir()), key=lambda p: p.name, reverse=True
    )


def rollback(index_dir: Path) -> Path:
    """Publish the newest verified generation older than the current one; returns it."""
    current = current_generation(index_dir)
    for gen in generations(index_dir):
        if gen.name < current.name:
            verify_generation(gen)
            publish(index_dir, gen.name)
            return gen
    raise IndexMissingError(f"no earlier generation in {index_dir} to roll back to")


def read_manifest(gen: Path) -> dict:
    """The manifest of a generation; IndexCorruptError when unreadable."""
    try:
        manifest = json.loads((gen / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise IndexCorruptError(
            f"{gen / 'manifest.json'} is unreadable ({exc}); run `cimic index` to rebuild"
        ) from None
    if not isinstance(manifest, dict) or not isinstance(manifest.get("files"), dict):
        raise IndexCorruptError(
            f"{gen / 'manifest.json'} is malformed; run `cimic index` to rebuild"
        )
    return manifest


def verify_generation(gen: Path) -> dict:
    """Check every file against the manifest's SHA-256; returns the manifest."""
    manifest, pending = _start_verify(gen)
    _finish_verify(gen, pending)
    return manifest


def _start_verify(gen: Path):
    """Read the manifest, check that every file is there, and start hashing them in threads."""
    from concurrent.futures import ThreadPoolExecutor

    manifest = read_manifest(gen)
    if manifest.get("format_version") != FORMAT_VERSION:
        raise IndexMismatchError(
            f"index in {gen.parent} has format {manifest.get('format_version')}, this version reads "
            f"format {FORMAT_VERSION}; run `cimic index` to rebuild"
        )
    for name in manifest["files"]:
        if not (gen / name).is_file():
            raise IndexCorruptError(
                f"index file {gen / name} is missing; run `cimic index` to rebuild"
            )
    pool = ThreadPoolExecutor(VERIFY_THREADS)
    # Largest first, so the threads finish together.
    names = sorted(manifest["files"], key=lambda n: -(gen / n).stat().st_size)
    jobs = {name: pool.submit(_sha256_file, gen / name) for name in names}
    pool.shutdown(wait=False)
    return manifest, (manifest["files"], jobs)


def _finish_verify(gen: Path, pending) -> None:
    """Wait for the hashes started by _start_verify; IndexCorruptError on the first mismatch."""
    expected, jobs = pending
    for name, job in jobs.items():
        try:
            digest = job.result()
        except OSError as exc:
            raise IndexCorruptError(
                f"index file {gen / name} cannot be read ({exc.strerror}); run `cimic index` to rebuild"
            ) from None
        if digest != expected[name]:
            for other in jobs.values():
                other.cancel()
            raise IndexCorruptError(
                f"index file {gen / name} fails its checksum (damaged or changed); run `cimic index` to rebuild"
            )


def model_mismatch(manifest: dict, encoder) -> str | None:
    """Why the index's model differs from the encoder's (None when they agree).

    Name and dimension are compared, then the embedding of a fixed canary text, so weights swapped
    under the same name are caught too.
    """
    built = manifest.get("model", {})
    if built.get("name") != encoder.name or built.get("dim") != encoder.dim:
        return (
            f"the index was built with model {built.get('name')!r} (dim {built.get('dim')}), "
            f"but the assistant uses {encoder.name!r} (dim {encoder.dim})"
        )
    canary = built.get("canary")
    if canary is not None:
        vec = np.asarray(canary, dtype=np.float32)
        if vec.shape != (encoder.dim,) or float(vec @ encoder.canary()) < CANARY_MIN_COSINE:
            return f"model {encoder.name!r} now embeds differently from when the index was built"
    return None


def check_compatible(manifest: dict, encoder, chunker: dict) -> None:
    """Refuse an index built by another model, chunker or tokenizer."""
    reason = model_mismatch(manifest, encoder)
    if reason:
        raise IndexMismatchError(f"{reason}; run `cimic index` to rebuild")
    if manifest.get("chunker") != chunker:
        raise IndexMismatchError(
            "the index was built with other chunker settings; run `cimic index` to rebuild"
        )
    if manifest.get("analyzer") != analyzer_settings():
        raise IndexMismatchError(
            "the index's BM25 terms were made with other tokenizer rules (spelling folds, stop "
            "words or stemmer); run `cimic index` to remake them"
        )


def load_generation(gen: Path) -> IndexData:
    """Verify and load one generation into memory.

    Every file's SHA-256 is checked in background threads while the files load; nothing loaded is
    returned unless all of them match.
    """
    manifest, pending = _start_verify(gen)
    try:
        documents = _read_documents(gen)
        chunks = ChunkTable.load(gen, documents)
        dense = DenseIndex.load(gen / "dense.faiss")
        lexical = LexicalIndex.load(gen / "bm25", len(chunks))
        sentences = _mapped(gen / "sentences.npy")
        sentence_vectors = QuantizedVectors.load(gen, "sentence")
        vocabulary = Vocabulary(**json.loads((gen / "vocabulary.json").read_text(encoding="utf-8")))
        word_vectors = DenseIndex.load(gen / "words.faiss")
        chunk_terms = Ragged.load(gen, "chunk_terms")
    except IndexCorruptError:
        raise
    except Exception as exc:  # noqa: BLE001 - any unreadable file means the same to the user
        _finish_verify(gen, pending)  # a damaged file is named by its checksum first
        raise IndexCorruptError(
            f"index in {gen} cannot be read ({exc}); run `cimic index` to rebuild"
        ) from None
    _finish_verify(gen, pending)
    if (
        dense.size != len(chunks)
        or len(sentences) != len(sentence_vectors)
        or word_vectors.size != len(vocabulary.vector_words)
        or len(chunk_terms) != len(chunks)
    ):
        raise IndexCorruptError(
            f"index files in {gen} disagree in size; run `cimic index` to rebuild"
        )
    counts = (
        np.bincount(np.asarray(sentences[:, 0]), minlength=len(chunks))
        if len(sentences)
        else np.zeros(len(chunks))
    )
    rows = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    return IndexData(
        gen,
        manifest,
        chunks,
        documents,
        dense,
        lexical,
        sentences,
        sentence_vectors,
        rows,
        vocabulary,
        word_vectors,
        {w: i for i, w in enumerate(vocabulary.vector_words)},
        chunk_terms,
    )
