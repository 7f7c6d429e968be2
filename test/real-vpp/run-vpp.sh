#!/usr/bin/env bash
# A throw-away VPP for the real-VPP tests and benches: VPP from source, in its own network
# namespace, with the examples' uplink host-eth0 on a veth. Needs root, git, cmake, ninja,
# clang, python3-ply, libssl-dev (Debian: apt-get install clang ninja-build python3-ply libssl-dev uuid-dev).
#
#   test/real-vpp/run-vpp.sh build [REF]   clone FD.io VPP (REF, default master) into $VPP_DIR and build
#                                          vpp, vppctl and the wireguard and af_packet plugins
#   test/real-vpp/run-vpp.sh start         (re)start it; the API socket is $RUN_DIR/api.sock
#   test/real-vpp/run-vpp.sh stop
#
# VPP_BUILD names another build directory (default $VPP_DIR/build-clang).
#
# then: VPPWG_TEST_VPP_SOCKET=$RUN_DIR/api.sock npx jest test/real-vpp
#       VPP_API_SOCKET=$RUN_DIR/api.sock npm run bench -- client reconcile
#
# Found while setting this up: a gcc 12 build (Debian 12) of 26.06 and of 26.10-rc0 corrupted its
# heap on the first interface state change, before any API client connected; the clang build works.
# The netns keeps VPP's 192.0.2.0/24 away from the host's own network (which may use it too). No
# ping plugin is loaded, so VPP does not answer ICMP echo through the tunnel.
set -euo pipefail

VPP_DIR=${VPP_DIR:-/tmp/vpp-src}
RUN_DIR=${RUN_DIR:-/tmp/vpp-run}
NETNS=${NETNS:-vppwg-vpp}
BUILD=${VPP_BUILD:-$VPP_DIR/build-clang}

build() {
  local ref=${1:-master}
  [ -d "$VPP_DIR/.git" ] || git clone https://github.com/FDio/vpp.git "$VPP_DIR"
  git -C "$VPP_DIR" checkout -q "$ref"
  # vppapigen needs ply from the system python, not a pyenv one.
  cmake -G Ninja -S "$VPP_DIR/src" -B "$BUILD" -DCMAKE_BUILD_TYPE=release -DCMAKE_C_COMPILER=clang \
    -DVPP_USE_LTO=OFF -DVPP_BUILD_NATIVE_ONLY=ON -DVPP_PLUGINS="wireguard;af_packet" \
    -DPython3_EXECUTABLE=/usr/bin/python3
  PATH=/usr/bin:/bin:$PATH ninja -C "$BUILD" vpp vppctl wireguard_plugin af_packet_plugin \
    openssl_crypto_engine native_crypto_engine
}

stop() {
  pkill -f "$BUILD/bin/vpp -c" || true
  sleep 0.5
}

start() {
  stop
  mkdir -p "$RUN_DIR"
  rm -f "$RUN_DIR"/{api,cli}.sock
  if ! ip netns list | grep -qw "$NETNS"; then
    ip netns add "$NETNS"
    ip link add vppwg-peer type veth peer name eth0 netns "$NETNS"
    ip link set vppwg-peer up
    ip netns exec "$NETNS" ip link set eth0 up
  fi
  # Before 25.02 VPP's crypto engines were plugins (WireGuard needs one); later ones load on their own.
  local CRYPTO_PLUGINS=""
  for p in crypto_native_plugin.so crypto_openssl_plugin.so; do
    [ -e "$BUILD/lib/x86_64-linux-gnu/vpp_plugins/$p" ] && CRYPTO_PLUGINS+="plugin $p { enable } "
  done
  cat >"$RUN_DIR/startup.conf" <<EOF
unix { nodaemon log $RUN_DIR/vpp.log cli-listen $RUN_DIR/cli.sock }
socksvr { socket-name $RUN_DIR/api.sock }
api-segment { prefix vppwg-test }
plugins { plugin default { disable } plugin wireguard_plugin.so { enable } plugin af_packet_plugin.so { enable } $CRYPTO_PLUGINS}
EOF
  ip netns exec "$NETNS" "$BUILD/bin/vpp" -c "$RUN_DIR/startup.conf" >"$RUN_DIR/stdout.log" 2>&1 &
  for _ in $(seq 100); do
    [ -S "$RUN_DIR/api.sock" ] && [ -S "$RUN_DIR/cli.sock" ] && break
    sleep 0.2
  done
  sleep 0.5
  "$BUILD/bin/vppctl" -s "$RUN_DIR/cli.sock" create host-interface name eth0
  echo "VPP API socket: $RUN_DIR/api.sock"
}

case "${1:-}" in
  build) build "${2:-}" ;;
  start) start ;;
  stop) stop ;;
  *) sed -n '2,19p' "$0" && exit 2 ;;
esac
