"""The offline bundle (`make bundle`), installed and used with no network at all (unshare -n).

Slow (about three minutes: the wheels are fetched, then installed): run by `make test-slow`.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tarfile

import pytest

from .conftest import ROOT

pytestmark = pytest.mark.slow
CLEAN_ENV = {"PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8"}  # no PIP_* settings


def _no_network(cmd: str, home, timeout: float = 900) -> subprocess.CompletedProcess:
    """Run a shell command in a new network namespace: loopback only, no registry, no internet."""
    return subprocess.run(
        ["unshare", "-n", "bash", "-c", f"ip link set lo up; {cmd}"],
        env={**CLEAN_ENV, "HOME": str(home)},
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def test_the_bundle_installs_and_answers_with_no_network(tmp_path):
    if shutil.which("unshare") is None or os.geteuid() != 0:
        pytest.skip("needs root and unshare(1) to cut the network")
    out = tmp_path / "dist"
    made = subprocess.run(
        ["bash", str(ROOT / "bundle" / "make_bundle.sh")],
        env={**os.environ, "OUT": str(out)},
        capture_output=True,
        text=True,
        timeout=1800,
    )
    assert made.returncode == 0, made.stderr[-2000:]
    [tarball] = list(out.glob("cimic-assistant-offline-*-cp311-*.tar.gz"))
    with tarfile.open(tarball) as tar:
        names = tar.getnames()
        tar.extractall(tmp_path / "x", filter="data")
    top = names[0].split("/")[0]
    assert f"{top}/install.sh" in names and any("/wheels/torch-" in n for n in names)
    assert any(n.startswith(f"{top}/index/gen-") for n in names)
    assert any(n.endswith(".txt") and "/corpus/" in n for n in names)

    inst = tmp_path / "inst"
    r = _no_network(f"bash {tmp_path / 'x' / top / 'install.sh'} {inst}", tmp_path)
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-2000:]
    for part in (".venv", "corpus", "index", "bin/cimic"):
        assert (inst / part).exists(), part
    # The install made the query encoder's export, fused (its optimizer ships in onnxruntime's
    # wheel), with its word lexicon.
    (record,) = [
        p
        for p in (inst / "index" / "onnx").glob("query-*.json")
        if not p.name.endswith(".tokenizer.json")
    ]
    record = json.loads(record.read_text())
    assert record["fused"].get("Attention") == 6 and record.get("lexicon_sha256")

    r = _no_network(
        f"cd {inst} && bin/cimic ask --json 'What are the seven baseline requirements?'", tmp_path
    )
    assert r.returncode == 0, r.stderr[-2000:]
    answer = json.loads(r.stdout)
    assert not answer["abstained"] and "continuity of government" in answer["passages"][0]["text"]

    script = f"""
cd {inst}
bin/cimic serve --port 7891 > serve.log 2>&1 &
pid=$!
.venv/bin/python - <<'PY'
import json, time, urllib.request
for _ in range(120):
    try:
        urllib.request.urlopen("http://127.0.0.1:7891/api/v1/status", timeout=2)
        break
    except OSError:
        time.sleep(1)
req = urllib.request.Request(
    "http://127.0.0.1:7891/api/v1/ask",
    data=json.dumps({{"question": "What is CIMIC?"}}).encode(),
    headers={{"Content-Type": "application/json"}},
)
print(json.dumps(json.load(urllib.request.urlopen(req, timeout=60))))
print(urllib.request.urlopen("http://127.0.0.1:7891/", timeout=10).status)
PY
kill $pid
"""
    r = _no_network(script, tmp_path, timeout=300)
    assert r.returncode == 0, r.stderr[-2000:] + (inst / "serve.log").read_text()[-2000:]
    served, ui = r.stdout.strip().splitlines()[-2:]
    assert json.loads(served)["passages"] and ui == "200"
