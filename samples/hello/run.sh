#!/bin/sh
# A tour of the single-container commands on an offline busybox image. Uses the state root in $BERTH_ROOT
# (default: a fresh directory under /tmp, removed at the end) so it never touches other containers.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
own_root=""
if [ -z "${BERTH_ROOT:-}" ]; then
  BERTH_ROOT=$(mktemp -d /tmp/berth-sample-XXXXXX)
  own_root=$BERTH_ROOT
fi
export BERTH_ROOT
cleanup() {
  berth rm -f sample-web >/dev/null 2>&1 || true
  [ -n "$own_root" ] && rm -rf "$own_root"
}
trap cleanup EXIT

step() { printf '\n\033[1m$ %s\033[0m\n' "$*"; "$@"; }

tarball=$(mktemp /tmp/berth-busybox-XXXXXX.tar)
sh "$here/../images/make-busybox-rootfs.sh" "$tarball"
step berth import --change 'CMD ["sh"]' "$tarball" sample/busybox:latest
rm -f "$tarball"
step berth images
step berth run --rm sample/busybox sh -c 'echo "hello from $(hostname), I am PID $$"; id'
step berth run -d --init --name sample-web --memory 64m --pids-limit 64 sample/busybox \
  sh -c 'echo serving; mkdir -p /www && echo "<h1>berth</h1>" > /www/index.html && exec httpd -f -p 8080 -h /www'
step berth ps
step berth exec sample-web sh -c 'nc 127.0.0.1 8080 </dev/null >/dev/null 2>&1; printf "GET / HTTP/1.0\r\n\r\n" | nc 127.0.0.1 8080 | tail -1'
step berth logs sample-web
step berth inspect -f '{{.Name}} {{.State.Status}} memory={{.HostConfig.Memory}}' sample-web
step berth stop -t 2 sample-web
step berth ps -a
step berth rm sample-web
echo
echo "sample finished: all containers removed"
