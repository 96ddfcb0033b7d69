"""Against the usual pipeline: LangChain's RecursiveCharacterTextSplitter(1000, 200),
HuggingFaceEmbeddings with the same packaged weights, LangChain's FAISS store, similarity_search(k=5).

Both answer the dev questions over the same corpus; prints median latency of each (interleaved, in
one run), their ratio, and hit@5 side by side. The LangChain packages are benchmark-only
(`pip install -e '.[bench]'`). Run with `make bench`.
"""

from __future__ import annotations

import json
import os
import re
import statistics
import tempfile
import time
import warnings
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
warnings.filterwarnings("ignore")

ROOT = Path(__file__).resolve().parents[1]
DEV = ROOT.parent / "shared" / "eval" / "dev.jsonl"


def fold(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def main() -> None:
    from langchain_community.embeddings import HuggingFaceEmbeddings
    from langchain_community.vectorstores import FAISS
    from langchain_core.documents import Document as LCDocument
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    from cimic import Assistant
    from cimic.documents import load_catalog, load_corpus
    from cimic.embedding import load_encoder, packaged_model_path
    from cimic.evaluation import answering_rank

    items = [json.loads(x) for x in DEV.read_text(encoding="utf-8").splitlines() if x.strip()]
    answerable = [i for i in items if i["evidence"]]
    aliases = {
        m["received_as"]: d
        for d, m in load_catalog(ROOT / "corpus").items()
        if m.get("received_as")
    }

    # The usual pipeline, as its documentation shows it.
    splitter = RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200)
    docs = [
        LCDocument(page_content=d.text, metadata={"doc": d.doc})
        for d in load_corpus(ROOT / "corpus").documents
    ]
    pieces = splitter.split_documents(docs)
    embeddings = HuggingFaceEmbeddings(
        model_name=str(packaged_model_path()),
        model_kwargs={"device": "cpu"},
        encode_kwargs={"normalize_embeddings": True},
    )
    store = FAISS.from_documents(pieces, embeddings)

    with tempfile.TemporaryDirectory() as tmp:
        assistant = Assistant.open(
            ROOT / "corpus", Path(tmp) / "index", encoder=load_encoder(cache_size=0)
        )
        for it in items:  # warm both
            store.similarity_search(it["question"], k=5)
            assistant.ask(it["question"], history=it.get("history") or [])
        t_lc, t_ours = [], []
        for _ in range(3):
            for it in items:
                t0 = time.perf_counter()
                store.similarity_search(it["question"], k=5)
                t_lc.append(time.perf_counter() - t0)
                t0 = time.perf_counter()
                assistant.ask(it["question"], history=it.get("history") or [])
                t_ours.append(time.perf_counter() - t0)

        def lc_hit(it) -> bool:
            found = store.similarity_search(it["question"], k=5)
            wanted = [fold(e["text"]) for e in it["evidence"]]
            return any(w in fold(d.page_content) for d in found for w in wanted)

        hits_lc = [lc_hit(it) for it in answerable]
        hits_ours = [
            answering_rank(
                assistant.ask(it["question"], history=it.get("history") or []),
                it["evidence"],
                aliases,
            )
            is not None
            for it in answerable
        ]
    lc, ours = statistics.median(t_lc), statistics.median(t_ours)
    print(
        f"{len(items)} dev questions x 3 rounds, interleaved; hit@5 over the {len(answerable)} answerable"
    )
    print(
        f"   LangChain pipeline ({len(pieces)} chunks)   median {lc * 1000:7.2f} ms   hit@5 {sum(hits_lc) / len(answerable):.2f}"
    )
    print(
        f"   cimic assistant.ask            median {ours * 1000:7.2f} ms   hit@5 {sum(hits_ours) / len(answerable):.2f}"
    )
    print(f"   ratio cimic / LangChain: {ours / lc:.2f}")


if __name__ == "__main__":
    main()
