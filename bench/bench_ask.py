"""Question latency and index build time against the bare encoder, measured in one run.

Prints medians (and p95) of `Assistant.ask` over the dev questions beside the median of encoding the
same questions with the bare sentence-transformers model; the same over the several hundred
questions of eval/questions.jsonl asked once each (what a loaded index remembers from one question
to the next, such as its corpus words' neighbours, helps there only as it would a user's new
questions); and a full index build beside the bare encode time of the same texts. Run with
`make bench`.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

ROOT = Path(__file__).resolve().parents[1]
DEV = ROOT.parent / "shared" / "eval" / "dev.jsonl"
EVAL = ROOT / "eval" / "questions.jsonl"


def p95(xs: list[float]) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, round(0.95 * (len(xs) - 1)))]


def latency(title: str, t_ask: list[float], t_bare: list[float]) -> None:
    """Print medians and p95 of asks and bare encodes (seconds in, ms out) and their ratio."""
    ask_med, bare_med = statistics.median(t_ask), statistics.median(t_bare)
    print(title)
    print(
        f"   assistant.ask      median {ask_med * 1000:7.2f} ms   p95 {p95(t_ask) * 1000:7.2f} ms"
    )
    print(
        f"   bare model encode  median {bare_med * 1000:7.2f} ms   p95 {p95(t_bare) * 1000:7.2f} ms"
    )
    print(f"   ratio ask / bare encode: {ask_med / bare_med:.2f}")


def questions(path: Path = DEV) -> list[tuple[str, list[str]]]:
    """(question, history) pairs of a JSONL question file; two questions when it is missing."""
    if path.is_file():
        items = [
            json.loads(line)
            for line in path.read_text(encoding="utf-8").splitlines()
            if line.strip()
        ]
        return [(i["question"], i.get("history") or []) for i in items]
    return [("What is CIMIC?", []), ("What are the seven baseline requirements?", [])]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--rounds", type=int, default=6, help="passes over the question set")
    ap.add_argument("--corpus", default=str(ROOT / "corpus"))
    args = ap.parse_args()

    import torch
    from sentence_transformers import SentenceTransformer

    from cimic import Assistant
    from cimic.chunking import chunk_document, sentence_spans
    from cimic.conversation import standalone_query
    from cimic.documents import load_corpus
    from cimic.embedding import load_encoder, packaged_model_path
    from cimic.indexing import build_index

    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, torch threads {torch.get_num_threads()}, "
        f"python {platform.python_version()}"
    )
    bare = SentenceTransformer(str(packaged_model_path()), device="cpu", local_files_only=True)
    encoder = load_encoder(cache_size=0)  # no query cache: every ask pays its encoder pass
    with tempfile.TemporaryDirectory() as tmp:
        assistant = Assistant.open(args.corpus, Path(tmp) / "index", encoder=encoder)
        qs = questions()
        queries = [standalone_query(q, h) for q, h in qs]
        for (q, h), query in zip(qs, queries, strict=True):  # warm both paths
            assistant.ask(q, history=h)
            bare.encode([query], normalize_embeddings=True)

        # Rounds alternate a pass of asks with a pass of bare encodes (which goes first alternates
        # too), so machine noise falls on both. Not question by question: each engine's threads
        # wait for work a moment after a run (ONNX Runtime's spin, torch's OpenMP), and
        # interleaving single questions timed each engine against the other's waiting threads,
        # which no real process does.
        def timed(items: list, queries: list[str], n: int, t_ask: list, t_bare: list) -> None:
            """A pass of asks and a pass of bare encodes over the same questions, in turn order n."""

            def pass_of_asks() -> None:
                for q, h in items:
                    t0 = time.perf_counter()
                    assistant.ask(q, history=h)
                    t_ask.append(time.perf_counter() - t0)

            def pass_of_encodes() -> None:
                for query in queries:
                    t0 = time.perf_counter()
                    bare.encode([query], normalize_embeddings=True)
                    t_bare.append(time.perf_counter() - t0)

            for run in (pass_of_asks, pass_of_encodes)[:: 1 if n % 2 else -1]:
                run()

        t_ask, t_bare = [], []
        for n in range(args.rounds):
            timed(qs, queries, n, t_ask, t_bare)
        latency(
            f"\n1. question latency over {len(qs)} dev questions x {args.rounds} rounds (warm, no cache)",
            t_ask,
            t_bare,
        )

        # Distinct questions, each asked once: blocks of 30 asks and 30 bare encodes alternate
        # (which goes first alternates too), as the rounds above do.
        many = questions(EVAL)
        t_ask, t_bare = [], []
        for n, start in enumerate(range(0, len(many), 30)):
            block = many[start : start + 30]
            timed(block, [standalone_query(q, h) for q, h in block], n, t_ask, t_bare)
        latency(
            f"\n   {len(many)} distinct questions ({EVAL.name}), each asked once (warm, no cache)",
            t_ask,
            t_bare,
        )

        # Index build against the bare encode time of the very texts it embeds.
        corpus = load_corpus(args.corpus)
        chunks = [c for d in corpus.documents for c in chunk_document(d)]
        texts = [c.embed_text for c in chunks] + [
            c.text[s:e] for c in chunks for s, e in sentence_spans(c.text)
        ]
        # A new index directory first gets the query encoder's ONNX export and word lexicon, once
        # per model; timed apart, then given to each measured build so that it times the build.
        t0 = time.perf_counter()
        build_index(Path(args.corpus), Path(tmp) / "first", encoder)
        first = time.perf_counter() - t0
        builds, encodes = [], []
        for n in range(3):
            t0 = time.perf_counter()
            bare.encode(texts, batch_size=64, normalize_embeddings=True)
            encodes.append(time.perf_counter() - t0)
            shutil.copytree(Path(tmp) / "first" / "onnx", Path(tmp) / f"full{n}" / "onnx")
            t0 = time.perf_counter()
            build_index(Path(args.corpus), Path(tmp) / f"full{n}", encoder)
            builds.append(time.perf_counter() - t0)
        b, e = statistics.median(builds), statistics.median(encodes)
        print(
            f"\n2. full index build of {len(corpus.documents)} documents, {len(chunks)} chunks, {len(texts)} texts (median of 3)"
        )
        print(
            f"   first build in a new index directory, with the one-time ONNX export and word lexicon: {first:.2f} s"
        )
        print(f"   cimic build        {b:7.2f} s  ({len(texts) / b:6.1f} texts/s)")
        print(f"   bare model encode  {e:7.2f} s  ({len(texts) / e:6.1f} texts/s)")
        print(f"   ratio build / bare encode: {b / e:.2f}")


if __name__ == "__main__":
    sys.exit(main())
