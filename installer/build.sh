#!/usr/bin/env bash
# Build the one-folder medgui application in dist/medgui/ from a clean clone, then prove it runs:
# `medgui --version` and the offscreen `medgui selftest` of the built app. Prints the folder's
# size and the build time. Uses the project venv (.venv, made like `make` does) unless VENV
# names another; PyInstaller comes from the `installer` extra pinned in constraints.txt.
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=${VENV:-.venv}
PYTHON=${PYTHON:-$(command -v python3.11 || command -v python3)}
if [ ! -x "$VENV/bin/python" ]; then
    "$PYTHON" -m venv "$VENV"
    "$VENV/bin/python" -m pip install --quiet --upgrade pip
fi
"$VENV/bin/python" -m pip install --quiet -c constraints.txt -e '.[installer]'

started=$(date +%s)
"$VENV/bin/python" -m PyInstaller --noconfirm --log-level WARN \
    --distpath dist --workpath build/pyinstaller installer/medgui.spec
built=$(date +%s)

app=dist/medgui/medgui
echo "== $app --version"
"$app" --version
echo "== $app selftest"
QT_QPA_PLATFORM=offscreen "$app" selftest
checked=$(date +%s)

echo "== dist/medgui: $(du -sh dist/medgui | cut -f1), $(find dist/medgui -type f | wc -l) files"
echo "== build $((built - started)) s, selftest $((checked - built)) s"
