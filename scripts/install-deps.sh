#!/bin/sh
# Installs, from Debian's packages, whatever berth's build, tests and samples need and this machine lacks.
set -eu
packages="cmake ninja-build g++ pkg-config ccache mold
  libyaml-cpp-dev libseccomp-dev libnl-3-dev libnl-route-3-dev nlohmann-json3-dev libcli11-dev libspdlog-dev
  libfmt-dev librange-v3-dev catch2 libarchive-dev libcurl4-openssl-dev libssl-dev
  busybox-static tar gzip zstd xz-utils iproute2 procps"
missing=""
for package in $packages; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing="$missing $package"
done
if [ -n "$missing" ]; then
  echo "installing:$missing"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # shellcheck disable=SC2086
  apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi
