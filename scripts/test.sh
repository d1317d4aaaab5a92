#!/bin/sh
# The whole test suite: installs what is missing, builds (dev preset: -O1 -g) and runs every CTest test, unit and
# integration (integration tests need root and skip, reported as skipped, where namespaces cannot be made).
set -eu
cd "$(dirname "$0")/.."
sh scripts/install-deps.sh
cmake --preset dev >/dev/null
cmake --build --preset dev
ctest --preset dev --timeout 900 "$@"
