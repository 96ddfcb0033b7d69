"""Library scale, end to end: build, load, memory and the cost of a question at 10^4–10^6 passages.

A corpus is made from ours: documents of paragraphs, each paragraph 2–5 sentences drawn from the
corpus's sentences with a number that makes it unique (so near-duplicate merging does not collapse
them) and a made-up place name (so the vocabulary has a real library's long tail of rare words). Sizes are given in passages (chunks). Each size is indexed in a fresh temporary directory;
then, in a fresh process, the index is loaded (timed, resident memory before and after) and the dev
questions are asked (timed), beside the encoder pass of the same questions in the same process:
"overhead" is ask minus encode, the system's own cost.

    python bench/bench_library.py                     # 10^4 with the real model, 10^5 hashing
    python bench/bench_library.py --sizes 1000000 --encoder hashing

With the real model, the build's embedding time is measured inside the build (the encoder is
wrapped), so "beyond embedding" is the rest of the build: reading, chunking, BM25, word vectors,
writing, verifying and the ONNX export.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

ROOT = Path(__file__).resolve().parents[1]
DEV = ROOT.parent / "shared" / "eval" / "dev.jsonl"
PER_DOC = 50  # paragraphs per generated document


def sentences() -> list[str]:
    """The corpus's sentences, from a quick read of its documents (no index needed)."""
    sys.path.insert(0, str(ROOT / "src"))
    from cimic.chunking import chunk_document, sentence_spans
    from cimic.documents import load_corpus

    out = []
    for doc in load_corpus(ROOT / "corpus").documents:
        for c in chunk_document(doc):
            out += [" ".join(c.text[s:e].split()) for s, e in sentence_spans(c.text)]
    return [s for s in out if len(s) > 40]


SYLLABLES = [
    "ka",
    "ro",
    "mi",
    "shen",
    "vol",
    "tar",
    "esh",
    "lin",
    "dru",
    "pa",
    "gor",
    "vik",
    "sa",
    "zel",
    "mon",
    "tri",
    "bal",
    "ha",
    "ku",
    "nor",
]
SYLLABLES += [
    "fen",
    "ad",
    "ul",
    "brec",
    "ost",
    "ya",
    "wen",
    "qui",
    "lo",
    "ter",
    "ran",
    "dim",
    "cha",
    "pell",
    "sor",
    "jul",
    "ith",
    "mab",
    "ev",
    "gra",
]


def rare_word(rng: random.Random) -> str:
    """A made-up name (3-4 syllables of 40): a library's long tail of rare words (places, people,
    units, operations), which the vocabulary, its word vectors and typo correction must carry."""
    return "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(3, 4))).capitalize()


def make_corpus(root: Path, passages: int, pool: list[str]) -> None:
    """About `passages` paragraphs in documents of PER_DOC paragraphs each; each paragraph names a
    made-up place, so the vocabulary grows with the library as a real one does."""
    rng = random.Random(passages)
    root.mkdir(parents=True)
    for d in range((passages + PER_DOC - 1) // PER_DOC):
        paras = []
        for p in range(min(PER_DOC, passages - d * PER_DOC)):
            body = " ".join(rng.sample(pool, rng.randint(2, 5)))
            paras.append(f"Paragraph {d}.{p}, reported from {rare_word(rng)}. {body}")
        (root / f"doc{d:06d}.txt").write_text("\n\n".join(paras) + "\n", encoding="utf-8")


def questions() -> list[str]:
    """The dev questions and ours (eval/questions.jsonl), each once: distinct questions, so no
    question finds the passages and term sets of an earlier asking in the caches."""
    out = []
    for path in (DEV, ROOT / "eval" / "questions.jsonl"):
        if path.exists():
            out += [json.loads(x)["question"] for x in path.read_text().splitlines() if x.strip()]
    return list(dict.fromkeys(out)) or [
        "What is CIMIC?",
        "What are the seven baseline requirements?",
    ]


def build(corpus: Path, index: Path, encoder_name: str) -> dict:
    """Index the corpus; seconds in all and in the encoder."""
    sys.path.insert(0, str(ROOT / "src"))
    from cimic.embedding import HashingEncoder, load_encoder
    from cimic.indexing import build_index

    encoder = HashingEncoder(dim=384) if encoder_name == "hashing" else load_encoder()
    spent = [0.0]
    inner = encoder.embed_batch

    def timed_batch(texts, progress=None):
        t0 = time.perf_counter()
        try:
            return inner(texts, progress)
        finally:
            spent[0] += time.perf_counter() - t0

    encoder.embed_batch = timed_batch
    t0 = time.perf_counter()
    report = build_index(corpus, index, encoder)
    total = time.perf_counter() - t0
    return {"build_s": total, "embed_s": spent[0], "chunks": report.chunks}


SERVE = r"""
import json, resource, statistics, sys, time
sys.path.insert(0, sys.argv[1])
def rss(field="VmRSS"):
    with open("/proc/self/status") as f:
        return next(int(l.split()[1]) for l in f if l.startswith(field + ":")) / 1024
from cimic import Assistant
from cimic.embedding import HashingEncoder
qs = json.loads(sys.argv[4])
import numpy, faiss, bm25s  # imports are not the index's memory
from cimic import answer_types
from cimic.embedding import load_encoder
# Neither is what does not grow with the library: the encoder, and the country, city and date
# tables that answer types load on first use (every cached loader without arguments).
enc = HashingEncoder(dim=384) if sys.argv[5] == "hashing" else load_encoder(index_dir=sys.argv[3])
for f in vars(answer_types).values():
    if hasattr(f, "cache_info") and f.__wrapped__.__code__.co_argcount == 0:
        f()
before = rss(); anon_before = rss("RssAnon")
t0 = time.perf_counter()
a = Assistant.open(sys.argv[2], sys.argv[3], update=False, encoder=enc)
load = time.perf_counter() - t0
loaded = rss()
# Every encoder pass inside ask is timed (the question's, and the short ones for question words the
# corpus lacks), so "over" is ask minus all of them: the system's own work.
inner, spent, passes = a.encoder.embed_query, [0.0], [0]
def timed(text):
    t = time.perf_counter()
    try:
        return inner(text)
    finally:
        spent[0] += time.perf_counter() - t
        passes[0] += 1
a.encoder.embed_query = timed
inner_many = a.encoder.embed_queries
def timed_many(texts):  # a question's unknown words, in one run (or one by one, counted once)
    before, n, t = spent[0], passes[0], time.perf_counter()
    try:
        return inner_many(texts)
    finally:
        spent[0], passes[0] = before + time.perf_counter() - t, n + 1
a.encoder.embed_queries = timed_many
ask, enc_t, over = [], [], []
for q in qs:
    a.encoder._cache.clear() if hasattr(a.encoder, "_cache") else None
    t0 = time.perf_counter(); inner(q); enc_t.append(time.perf_counter() - t0)
    a.encoder._cache.clear() if hasattr(a.encoder, "_cache") else None
    spent[0] = 0.0
    t0 = time.perf_counter(); a.ask(q); ask.append(time.perf_counter() - t0)
    over.append(max(0.0, ask[-1] - spent[0]))
n_passes = passes[0] / len(ask)
def p95(xs): return sorted(xs)[int(0.95 * (len(xs) - 1))]
after = rss(); anon_after = rss("RssAnon")
agree = None
if len(a.current().chunks) <= int(sys.argv[6]):  # the exhaustive reference: every row scored
    from cimic.retrieval import search
    data, hits = a.current(), []
    for q in qs:
        v = a.encoder.embed_query(q)
        fast = search(data, v, q, encoder=a.encoder).rows[:5]
        full = search(data, v, q, encoder=a.encoder, exhaustive=True).rows[:5]
        hits.append(len(set(fast) & set(full)) / max(1, len(full)))
    agree = statistics.mean(hits)
print(json.dumps({"load_s": load, "agree": agree, "rss_before_mb": before, "rss_loaded_mb": loaded, "rss_after_mb": after, "anon_mb": anon_after - anon_before,
  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
  "ask_ms": statistics.median(ask) * 1e3, "ask_p95_ms": p95(ask) * 1e3,
  "encode_ms": statistics.median(enc_t) * 1e3, "over_ms": statistics.median(over) * 1e3,
  "passes": n_passes,
  "over_p95_ms": p95(over) * 1e3}))
"""


def serve(corpus: Path, index: Path, encoder_name: str, agree_upto: int) -> dict:
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            SERVE,
            str(ROOT / "src"),
            str(corpus),
            str(index),
            json.dumps(questions()),
            encoder_name,
            str(agree_upto),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    p.add_argument(
        "--encoder",
        choices=["auto", "hashing", "model"],
        default="auto",
        help="auto: the real model at 10^4 and below, the hashing encoder above",
    )
    p.add_argument(
        "--agree-upto",
        type=int,
        default=200_000,
        help="compare the top 5 with an exhaustive scan of every row up to this many passages",
    )
    p.add_argument(
        "--workdir",
        type=Path,
        help="keep each size's corpus and index in WORKDIR/<size> and reuse them when present "
        "(the build columns then print - on reuse); default: a temporary directory per size",
    )
    args = p.parse_args()
    pool = sentences()
    print(
        f"{len(pool)} corpus sentences make the paragraphs; {len(questions())} distinct questions "
        "(dev and eval/questions.jsonl), each asked once"
    )
    head = (
        f"{'passages':>9} {'encoder':>8} {'build s':>8} {'embed s':>8} {'beyond':>7} "
        f"{'load s':>7} {'MB':>7} {'KB/psg':>7} {'anon':>6} {'bound':>6} {'enc ms':>7} {'passes':>6} {'ask p50':>8} {'over p50':>9} "
        f"{'over p95':>9} {'ratio':>6} {'top5':>5} {'disk MB':>8}"
    )
    print(head)
    reference = None  # the real model's encoder pass, once a model row has measured it
    for n in sorted(args.sizes):
        name = args.encoder if args.encoder != "auto" else ("model" if n <= 10_000 else "hashing")
        with contextlib.ExitStack() as stack:
            if args.workdir:
                base = args.workdir / f"{n}-{name}"
            else:
                base = Path(stack.enter_context(tempfile.TemporaryDirectory()))
            corpus, index = base / "corpus", base / "index"
            if (index / "CURRENT").exists():
                current = index / (index / "CURRENT").read_text().strip()
                chunks = json.loads((current / "manifest.json").read_text())
                b = {"build_s": float("nan"), "embed_s": float("nan")}
                b["chunks"] = chunks["counts"]["chunks"]
            else:
                shutil.rmtree(base, ignore_errors=True)
                make_corpus(corpus, n, pool)
                b = build(corpus, index, name)
            s = serve(corpus, index, name, args.agree_upto)
            gen = index / (index / "CURRENT").read_text().strip()
            disk = sum(f.stat().st_size for f in gen.rglob("*") if f.is_file()) / 2**20
            mapped = sum(f.stat().st_size for f in gen.glob("sentence*.npy")) / 2**20
        if name == "model" and reference is None:
            reference = s["encode_ms"]
        grown = s["rss_after_mb"] - s["rss_before_mb"]
        bound = (grown + mapped) * 1024 / b["chunks"]
        ratio = f"{s['over_ms'] / reference:>6.2f}" if reference else f"{'-':>6}"
        agree = f"{s['agree']:>5.2f}" if s["agree"] is not None else f"{'-':>5}"
        beyond = (b["build_s"] - b["embed_s"]) / b["embed_s"] if b["embed_s"] else float("nan")
        print(
            f"{b['chunks']:>9,} {name:>8} {b['build_s']:>8.1f} {b['embed_s']:>8.1f} {beyond:>7.2f} "
            f"{s['load_s']:>7.2f} {grown:>7.0f} {grown * 1024 / b['chunks']:>7.1f} "
            f"{s['anon_mb'] * 1024 / b['chunks']:>6.1f} {bound:>6.1f} "
            f"{s['encode_ms']:>7.2f} {s['passes']:>6.2f} {s['ask_ms']:>8.2f} {s['over_ms']:>9.2f} {s['over_p95_ms']:>9.2f} "
            f"{ratio} {agree} {disk:>8.0f}",
            flush=True,
        )
    print(
        "beyond: build work beyond embedding / embedding time; MB: resident growth from before "
        "opening the index to after the questions (the encoder and fixed tables loaded before); "
        "anon: the private (anonymous) part of it per passage, the rest being pages of the "
        "memory-mapped index files (shared, evictable page cache); "
        "bound: KB per passage if, besides, every memory-mapped sentence file were resident; "
        "enc ms: one question's encoder pass; passes: encoder passes per question (its own and "
        "those of question words the corpus lacks); over: ask minus all of them, the system's own "
        "work; ratio: over p50 / the real model's encoder pass p50 in this run (a model row "
        "measures it; rows before one, or runs without one, print -); top5: share of the top 5 that an "
        "exhaustive scan (every row scored in full) also ranks top 5; disk MB: the generation's files"
    )


if __name__ == "__main__":
    main()
