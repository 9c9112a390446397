#!/usr/bin/env bash
# test_conformance.sh — runs the ONNX backend node tests of every supported operator through
# `dlfusion run` (conformance.py). Last line: "N passed, N failed, N skipped"; exit 1 if any failed.
# Usage: tests/scripts/test_conformance.sh [conformance.py options, e.g. --filter conv]
set -uo pipefail
cd "$(dirname "$0")/../.."
exec /usr/bin/python3 tests/scripts/conformance.py --bin "${DLF_BIN:-build/dlfusion}" "$@"
