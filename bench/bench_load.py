"""Load: 20 concurrent gradio_client clients asking for 60 s against the app on loopback.

Starts app.py on a free 127.0.0.1 port over a copy of the corpus, runs the clients (each asks the
dev questions in turn), and prints requests, errors, throughput, median and p95 latency. Bounded in
count and time; stops by itself. Run with `make bench-load`.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEV = ROOT.parent / "shared" / "eval" / "dev.jsonl"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--clients", type=int, default=20)
    ap.add_argument("--seconds", type=float, default=60)
    args = ap.parse_args()
    from gradio_client import Client

    questions = (
        [json.loads(x) for x in DEV.read_text().splitlines() if x.strip()]
        if DEV.exists()
        else [{"question": "What is CIMIC?"}]
    )
    with tempfile.TemporaryDirectory() as tmp:
        shutil.copytree(ROOT / "corpus", Path(tmp) / "corpus")
        port = free_port()
        env = {**os.environ, "HF_HUB_OFFLINE": "1", "GRADIO_ANALYTICS_ENABLED": "False"}
        proc = subprocess.Popen(
            [
                sys.executable,
                str(ROOT / "app.py"),
                "--corpus",
                str(Path(tmp) / "corpus"),
                "--index",
                str(Path(tmp) / "index"),
                "--port",
                str(port),
                "--feedback",
                str(Path(tmp) / "fb.jsonl"),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=env,
            cwd=tmp,
        )
        url = f"http://127.0.0.1:{port}/"
        try:
            for _ in range(600):
                try:
                    with urllib.request.urlopen(url, timeout=1):
                        break
                except OSError:
                    time.sleep(0.2)
            latencies: list[float] = []
            errors: list[str] = []
            lock = threading.Lock()
            deadline = time.monotonic() + args.seconds

            def client(n: int) -> None:
                c = Client(url, verbose=False)
                i = n
                while time.monotonic() < deadline:
                    q = questions[i % len(questions)]
                    i += 1
                    t0 = time.perf_counter()
                    try:
                        r = c.predict(q["question"], q.get("history") or [], api_name="/ask")
                        ok = "error" not in r
                    except Exception as exc:  # noqa: BLE001 - counted, not raised
                        ok, r = False, repr(exc)
                    with lock:
                        (
                            latencies.append(time.perf_counter() - t0)
                            if ok
                            else errors.append(str(r)[:200])
                        )

            threads = [threading.Thread(target=client, args=(n,)) for n in range(args.clients)]
            t0 = time.monotonic()
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            wall = time.monotonic() - t0
        finally:
            proc.terminate()
            proc.wait()
    lat = sorted(latencies)
    print(f"{args.clients} concurrent gradio_client clients for {args.seconds:.0f} s on loopback")
    print(
        f"   requests {len(lat) + len(errors)}, errors {len(errors)}, throughput {len(lat) / wall:.1f} answers/s"
    )
    if lat:
        print(
            f"   latency median {statistics.median(lat) * 1000:.0f} ms, p95 {lat[int(0.95 * (len(lat) - 1))] * 1000:.0f} ms"
        )
    for e in errors[:3]:
        print(f"   error: {e}")


if __name__ == "__main__":
    main()
