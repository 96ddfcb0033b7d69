"""Incremental against full rebuild on a 100-document corpus, measured in one run.

The corpus is made from the project's own documents: 100 files of four consecutive passages each,
every file headed by its own line. Prints the median time of a full build, of an incremental rebuild
after one document changes, and of a rebuild with nothing changed, and their ratios.
Run with `make bench`.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

ROOT = Path(__file__).resolve().parents[1]


def make_corpus(root: Path, n_docs: int = 100, per_doc: int = 4) -> None:
    from cimic.chunking import chunk_document
    from cimic.documents import load_corpus

    passages = [c.text for d in load_corpus(ROOT / "corpus").documents for c in chunk_document(d)]
    root.mkdir(parents=True)
    for n in range(n_docs):
        body = "\n\n".join(passages[(n * per_doc + i) % len(passages)] for i in range(per_doc))
        (root / f"doc-{n:03d}.txt").write_text(f"Field report {n}\n\n{body}\n", encoding="utf-8")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()

    from cimic.embedding import load_encoder
    from cimic.indexing import build_index

    encoder = load_encoder()
    with tempfile.TemporaryDirectory() as tmp:
        corpus = Path(tmp) / "corpus"
        make_corpus(corpus)
        full, incremental, unchanged = [], [], []
        embedded = 0
        for r in range(args.rounds):
            index = Path(tmp) / f"index-{r}"
            t0 = time.perf_counter()
            report = build_index(corpus, index, encoder)
            full.append(time.perf_counter() - t0)
            chunks = report.chunks
            target = corpus / f"doc-{r:03d}.txt"
            target.write_text(
                target.read_text(encoding="utf-8") + f"\nAmended in round {r}.\n", encoding="utf-8"
            )
            t0 = time.perf_counter()
            report = build_index(corpus, index, encoder)
            incremental.append(time.perf_counter() - t0)
            embedded = report.chunks_embedded
            assert report.changed == (target.name,), report.summary()
            t0 = time.perf_counter()
            report = build_index(corpus, index, encoder)
            unchanged.append(time.perf_counter() - t0)
            assert not report.published
        f, i, u = (statistics.median(x) for x in (full, incremental, unchanged))
        print(f"100-document corpus, {chunks} chunks; median of {args.rounds} rounds")
        print(f"   full build                         {f:7.2f} s")
        print(f"   incremental, one document changed  {i:7.2f} s  ({embedded} chunks re-embedded)")
        print(f"   nothing changed                    {u:7.2f} s")
        print(f"   ratio incremental / full: {i / f:.3f}   nothing changed / full: {u / f:.3f}")


if __name__ == "__main__":
    main()
