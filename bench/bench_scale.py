"""Scale: exact and approximate FAISS indexes, and BM25, at 10k, 100k and 1M passages.

Dense vectors are synthetic but shaped like ours: 384-d, normalised, drawn around the real chunk and
sentence embeddings of the corpus (so they cluster as real passages do); queries are the dev
questions' embeddings and noisy copies of them. Recall@10 of an approximate index is measured
against exact search on the same vectors. BM25 indexes synthetic documents of corpus words.
Prints build time, memory, median query time. Run with `make bench-scale` (several minutes).
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import statistics
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
DEV = ROOT.parent / "shared" / "eval" / "dev.jsonl"
D = 384


def seeds():
    """Real chunk and sentence vectors of the corpus, and real question vectors."""
    from cimic import Assistant
    from cimic.embedding import load_encoder

    enc = load_encoder()
    with tempfile.TemporaryDirectory() as tmp:
        a = Assistant.open(ROOT / "corpus", Path(tmp) / "index", encoder=enc)
        data = a.current()
        centers = np.vstack([data.dense.vectors(), data.sentence_vectors[:]]).astype(np.float32)
        words = sorted(
            data.vocabulary.word_counts, key=data.vocabulary.word_counts.get, reverse=True
        )
    qs = (
        [json.loads(x)["question"] for x in DEV.read_text().splitlines() if x.strip()]
        if DEV.exists()
        else ["What is CIMIC?"]
    )
    questions = enc.embed_documents(qs)
    return centers, questions, words


def synthetic(
    centers: np.ndarray, n: int, rng: np.random.Generator, noise: float = 0.03
) -> np.ndarray:
    """Random mixtures of two real embeddings plus noise: spread like passages, no exact ties."""
    out = np.empty((n, D), dtype=np.float32)
    step = 200_000
    for i in range(0, n, step):
        m = min(step, n - i)
        w = rng.uniform(0.2, 0.8, (m, 1)).astype(np.float32)
        v = (
            w * centers[rng.integers(0, len(centers), m)]
            + (1 - w) * centers[rng.integers(0, len(centers), m)]
        )
        v += rng.normal(0, noise, (m, D)).astype(np.float32)
        out[i : i + m] = v / np.linalg.norm(v, axis=1, keepdims=True)
    return out


def timed_queries(index, queries: np.ndarray, k: int = 10) -> tuple[float, np.ndarray]:
    times, ids = [], []
    for q in queries:
        t0 = time.perf_counter()
        _, i = index.search(q[None, :], k)
        times.append(time.perf_counter() - t0)
        ids.append(i[0])
    return statistics.median(times), np.array(ids)


def recall(found: np.ndarray, truth: np.ndarray) -> float:
    return float(
        np.mean([len(set(f) & set(t)) / len(t) for f, t in zip(found, truth, strict=True)])
    )


def size_mb(index) -> float:
    import faiss

    return faiss.serialize_index(index).nbytes / 1e6


def dense_row(name, build_s, mem, q_ms, rec):
    print(
        f"   {name:34} build {build_s:8.2f} s   memory {mem:8.1f} MB   query {q_ms:7.3f} ms   recall@10 {rec}"
    )


def bench_dense(centers, questions, sizes, rng, hnsw_max: int):
    import faiss

    noisy = questions[rng.integers(0, len(questions), 170)] + rng.normal(0, 0.05, (170, D)).astype(
        np.float32
    )
    queries = np.vstack([questions, noisy / np.linalg.norm(noisy, axis=1, keepdims=True)]).astype(
        np.float32
    )
    print(f"dense (FAISS, {faiss.omp_get_max_threads()} threads), {len(queries)} queries, k=10")
    for n in sizes:
        x = synthetic(centers, n, rng)
        print(f" n = {n:,}")
        t0 = time.perf_counter()
        flat = faiss.IndexFlatIP(D)
        flat.add(x)
        b = time.perf_counter() - t0
        q, truth = timed_queries(flat, queries)
        dense_row("exact (IndexFlatIP)", b, x.nbytes / 1e6, q * 1000, "1.000")

        if n <= hnsw_max:
            t0 = time.perf_counter()
            hnsw = faiss.IndexHNSWFlat(D, 32, faiss.METRIC_INNER_PRODUCT)
            hnsw.hnsw.efConstruction = 64
            hnsw.add(x)
            b = time.perf_counter() - t0
            for ef in (32, 64, 128):
                hnsw.hnsw.efSearch = ef
                q, found = timed_queries(hnsw, queries)
                dense_row(
                    f"HNSW32 efSearch={ef}",
                    b,
                    size_mb(hnsw),
                    q * 1000,
                    f"{recall(found, truth):.3f}",
                )
            del hnsw
            gc.collect()

        nlist = int(4 * np.sqrt(n))
        t0 = time.perf_counter()
        quant = faiss.IndexFlatIP(D)
        ivf = faiss.IndexIVFFlat(quant, D, nlist, faiss.METRIC_INNER_PRODUCT)
        ivf.train(x[rng.choice(n, min(n, 50 * nlist), replace=False)])
        ivf.add(x)
        b = time.perf_counter() - t0
        for nprobe in (16, 32, 64, 128):
            ivf.nprobe = nprobe
            q, found = timed_queries(ivf, queries)
            dense_row(
                f"IVF{nlist},Flat nprobe={nprobe}",
                b,
                size_mb(ivf),
                q * 1000,
                f"{recall(found, truth):.3f}",
            )
        del ivf, quant, flat, x
        gc.collect()


def bench_bm25(words, sizes, rng, doc_len=40):
    import bm25s

    print(
        f"\nBM25 (bm25s), documents of {doc_len} corpus words (Zipf-distributed), 200 queries of 4 words"
    )
    vocab = {w: i for i, w in enumerate(words)}
    p = 1.0 / np.arange(1, len(words) + 1)
    p /= p.sum()
    qids = [[int(i) for i in rng.choice(len(words), 4, p=p)] for _ in range(200)]
    for n in sizes:
        ids = rng.choice(len(words), size=(n, doc_len), p=p)
        corpus = [row.tolist() for row in ids]
        t0 = time.perf_counter()
        r = bm25s.BM25()
        r.index((corpus, vocab), show_progress=False)
        b = time.perf_counter() - t0
        mem = sum(v.nbytes for v in r.scores.values() if hasattr(v, "nbytes")) / 1e6
        times = []
        for q in qids:
            t0 = time.perf_counter()
            s = r.get_scores(q)
            np.argpartition(-s, 10)[:10]
            times.append(time.perf_counter() - t0)
        print(
            f" n = {n:>9,}   build {b:8.2f} s   memory {mem:8.1f} MB   query {statistics.median(times) * 1000:7.3f} ms"
        )
        del r, corpus, ids
        gc.collect()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--sizes", default="10000,100000,1000000")
    ap.add_argument("--skip-bm25", action="store_true")
    ap.add_argument("--skip-dense", action="store_true")
    ap.add_argument(
        "--hnsw-max",
        type=int,
        default=100_000,
        help="largest size to also build HNSW at (1M took 409 s and reached recall 0.74)",
    )
    args = ap.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    rng = np.random.default_rng(0)
    centers, questions, words = seeds()
    if not args.skip_dense:
        bench_dense(centers, questions, sizes, rng, args.hnsw_max)
    if not args.skip_bm25:
        bench_bm25(words, sizes, rng)


if __name__ == "__main__":
    main()
