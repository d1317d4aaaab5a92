#!/bin/sh
# Side-by-side start-up, exec and memory benchmarks: berth against runc (and podman where installed), in one run,
# with hyperfine. Usage (root): sh bench/run-bench.sh [RUNS]   — prints the table and writes bench/results/*.md
# Needs: hyperfine, runc (apt-get install hyperfine runc), a release build (cmake --preset release && cmake --build
# --preset release).
set -eu
cd "$(dirname "$0")/.."
runs=${1:-50}
berth=$PWD/build/release/cli/berth
[ -x "$berth" ] || { echo "build the release preset first" >&2; exit 1; }
command -v hyperfine >/dev/null || { echo "apt-get install hyperfine" >&2; exit 1; }
work=$(mktemp -d /tmp/berth-bench-XXXXXX)
export BERTH_ROOT=$work/state
results=bench/results
mkdir -p "$results"
cleanup() {
  "$berth" rm -f bench-exec >/dev/null 2>&1 || true
  runc delete -f bench-runc-exec >/dev/null 2>&1 || true
  command -v podman >/dev/null && podman rm -f bench-exec >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

# One busybox rootfs for everybody.
sh samples/images/make-busybox-rootfs.sh "$work/rootfs.tar"
"$berth" import "$work/rootfs.tar" bench/busybox >/dev/null
mkdir -p "$work/bundle/rootfs"
tar -C "$work/bundle/rootfs" -xf "$work/rootfs.tar"
(cd "$work/bundle" && runc spec && sed -i 's/"terminal": true/"terminal": false/; s/"sh"/"\/bin\/true"/' config.json)
peers=""
if command -v podman >/dev/null; then
  podman import "$work/rootfs.tar" localhost/bench-busybox >/dev/null
  peers="podman"
fi

echo "== run --rm /bin/true (network none)"
set -- -N --warmup 5 --runs "$runs" --export-markdown "$results/run.md" \
  -n "berth run --rm --network none" "$berth run --rm --network none bench/busybox /bin/true" \
  -n "runc run (bundle, v1 cgroup)" "runc run --bundle $work/bundle bench-runc"
if [ -n "$peers" ]; then
  set -- "$@" -n "podman run --rm --network none" "podman run --rm --network none localhost/bench-busybox /bin/true"
fi
hyperfine "$@"

echo "== exec true in a running container"
"$berth" run -d --name bench-exec bench/busybox sleep 3600 >/dev/null
sed 's/"\/bin\/true"/"sleep", "3600"/' "$work/bundle/config.json" > "$work/config-sleep.json"
cp "$work/bundle/config.json" "$work/config-true.json"
cp "$work/config-sleep.json" "$work/bundle/config.json"
runc run -d --bundle "$work/bundle" bench-runc-exec >/dev/null 2>&1 </dev/null
cp "$work/config-true.json" "$work/bundle/config.json"
set -- -N --warmup 5 --runs "$runs" --export-markdown "$results/exec.md" \
  -n "berth exec" "$berth exec bench-exec /bin/true" \
  -n "runc exec" "runc exec bench-runc-exec /bin/true"
if [ -n "$peers" ]; then
  podman run -d --name bench-exec localhost/bench-busybox sleep 3600 >/dev/null
  set -- "$@" -n "podman exec" "podman exec bench-exec /bin/true"
fi
hyperfine "$@"

echo "== memory of the per-container supervisor (idle container)"
supervisor=$(cut -d' ' -f1 "$BERTH_ROOT/run/containers/$("$berth" inspect -f '{{.Id}}' bench-exec)/supervisor")
{
  echo "| process | PSS | RSS |"
  echo "|---|---|---|"
  printf '| berth supervisor | %s kB | %s kB |\n' "$(awk '/^Pss:/ {print $2}' /proc/$supervisor/smaps_rollup)" \
    "$(awk '/^Rss:/ {print $2}' /proc/$supervisor/smaps_rollup)"
  if [ -n "$peers" ]; then
    conmon=$(pgrep -f "conmon.*$(podman inspect -f '{{.Id}}' bench-exec)" | head -1)
    [ -n "$conmon" ] && printf '| podman conmon | %s kB | %s kB |\n' "$(awk '/^Pss:/ {print $2}' /proc/$conmon/smaps_rollup)" \
      "$(awk '/^Rss:/ {print $2}' /proc/$conmon/smaps_rollup)"
  fi
} | tee "$results/memory.md"
