#!/usr/bin/env bash
# setup_ort.sh — installs ONNX Runtime's Node binding (onnxruntime-node 1.30.0, CPU) into
# bench/node_modules for compare_ort.sh; idempotent: does nothing when that version already loads.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
VERSION=1.30.0
cd "$HERE"

command -v node >/dev/null || { echo "setup_ort.sh: node is not installed (apt-get install nodejs npm)" >&2; exit 1; }
command -v npm >/dev/null || { echo "setup_ort.sh: npm is not installed (apt-get install npm)" >&2; exit 1; }

installed_version() {
  node -e "console.log(require('./node_modules/onnxruntime-node/package.json').version)" 2>/dev/null || true
}
# Loading the module (not only finding package.json) proves the native binding is there.
loads() { node -e "require('onnxruntime-node')" >/dev/null 2>&1; }

if [ "$(installed_version)" = "$VERSION" ] && loads; then
  echo "setup_ort.sh: onnxruntime-node $VERSION already installed in $HERE/node_modules"
  exit 0
fi

# --ignore-scripts: the package's install script downloads optional GPU binaries from a host that
# is not reachable here; the CPU binding for linux/x64 ships inside the npm package itself.
echo "setup_ort.sh: installing onnxruntime-node $VERSION into $HERE/node_modules"
npm install --ignore-scripts --save-exact --no-audit --no-fund "onnxruntime-node@$VERSION"

if [ "$(installed_version)" != "$VERSION" ]; then
  echo "setup_ort.sh: installed version is '$(installed_version)', wanted $VERSION" >&2
  exit 1
fi
if ! loads; then
  echo "setup_ort.sh: onnxruntime-node $VERSION is installed but does not load:" >&2
  node -e "require('onnxruntime-node')" >&2 || true
  exit 1
fi
echo "setup_ort.sh: ok (onnxruntime-node $VERSION loads)"
