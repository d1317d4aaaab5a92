#!/bin/sh
# The main job, as a new user would run it: installs what is missing, builds berth (release), makes a base image
# offline from Debian's busybox-static, and runs the sample in samples/hello.
set -eu
cd "$(dirname "$0")/.."
sh scripts/install-deps.sh
cmake --preset release >/dev/null
cmake --build --preset release --target berth berth-init
export PATH="$PWD/build/release/cli:$PATH"
exec sh samples/hello/run.sh
