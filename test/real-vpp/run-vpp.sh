#!/usr/bin/env bash
# A throw-away VPP for the real-VPP tests and benches: VPP from source, in its own network
# namespace, with the examples' uplink host-eth0 on a veth. Needs root, git, cmake, ninja,
# clang, python3-ply, libssl-dev, and libnl and libmnl for linux-cp (Debian: apt-get install clang
# ninja-build python3-ply libssl-dev uuid-dev libnl-3-dev libnl-route-3-dev libmnl-dev). VPP_GIT names
# another place to clone VPP from.
#
#   test/real-vpp/run-vpp.sh build [REF]   clone FD.io VPP (REF, default master) into $VPP_DIR and build
#                                          vpp, vppctl and the wireguard, af_packet and ping plugins
#   test/real-vpp/run-vpp.sh start         (re)start it; the API socket is $RUN_DIR/api.sock
#   test/real-vpp/run-vpp.sh stop
#   test/real-vpp/run-vpp.sh peer          the far end for the real-peer tests: netns $PEER_NETNS on the
#                                          other side of host-eth0's veth, holding the examples' gateway
#                                          (192.0.2.254, 2001:db8:0:1::fe) and remote endpoints; needs
#                                          wg (wireguard-tools), wireguard-go unless the kernel has
#                                          WireGuard, and ping (iputils-ping)
#
# VPP_BUILD names another build directory (default $VPP_DIR/build-clang).
#
# then: VPPWG_TEST_VPP_SOCKET=$RUN_DIR/api.sock npx jest test/real-vpp
#       VPP_API_SOCKET=$RUN_DIR/api.sock npm run bench -- client reconcile
#       after `peer`: VPPWG_TEST_WG_NETNS=$PEER_NETNS VPPWG_TEST_VPP_SOCKET=... npx jest test/real-vpp
#       and VPPWG_TEST_VPP_RESTART="VPP_DIR=... bash $PWD/test/real-vpp/run-vpp.sh start" restarts VPP
#       under the daemon
#
# Found while setting this up: a gcc 12 build (Debian 12) of 26.06 and of 26.10-rc0 corrupted its
# heap on the first interface state change, before any API client connected; the clang build works.
# The netns keeps VPP's 192.0.2.0/24 away from the host's own network (which may use it too). The
# ping plugin (when built) makes VPP answer ICMP echo, through the tunnel too.
set -euo pipefail

VPP_DIR=${VPP_DIR:-/tmp/vpp-src}
RUN_DIR=${RUN_DIR:-/tmp/vpp-run}
NETNS=${NETNS:-vppwg-vpp}
PEER_NETNS=${PEER_NETNS:-vppwg-wg}
BUILD=${VPP_BUILD:-$VPP_DIR/build-clang}
# Where to clone VPP from (a local mirror works as well).
VPP_GIT=${VPP_GIT:-https://github.com/FDio/vpp.git}

build() {
  local ref=${1:-master}
  [ -d "$VPP_DIR/.git" ] || git clone "$VPP_GIT" "$VPP_DIR"
  git -C "$VPP_DIR" checkout -q "$ref"
  # vppapigen needs ply from the system python, not a pyenv one. linux_cp_unittest is listed because
  # VPP's plugin filter leaves the linux-cp folder at the first plugin it skips, before linux_nl.
  cmake -G Ninja -S "$VPP_DIR/src" -B "$BUILD" -DCMAKE_BUILD_TYPE=release -DCMAKE_C_COMPILER=clang \
    -DVPP_USE_LTO=OFF -DVPP_BUILD_NATIVE_ONLY=ON -DVPP_PLUGINS="wireguard;af_packet;ping;linux_cp;linux_cp_unittest;linux_nl" \
    -DPython3_EXECUTABLE=/usr/bin/python3
  PATH=/usr/bin:/bin:$PATH ninja -C "$BUILD" vpp vppctl wireguard_plugin af_packet_plugin ping_plugin \
    openssl_crypto_engine native_crypto_engine linux_cp_plugin linux_nl_plugin
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
  # Before 25.02 VPP's crypto engines were plugins (WireGuard needs one); later ones load on their
  # own. ping answers ICMP echo (builds from before it was in the list lack it).
  local EXTRA_PLUGINS=""
  for p in crypto_native_plugin.so crypto_openssl_plugin.so ping_plugin.so; do
    [ -e "$BUILD/lib/x86_64-linux-gnu/vpp_plugins/$p" ] && EXTRA_PLUGINS+="plugin $p { enable } "
  done
  cat >"$RUN_DIR/startup.conf" <<EOF
unix { nodaemon log $RUN_DIR/vpp.log cli-listen $RUN_DIR/cli.sock }
socksvr { socket-name $RUN_DIR/api.sock }
api-segment { prefix vppwg-test }
plugins { plugin default { disable } plugin wireguard_plugin.so { enable } plugin af_packet_plugin.so { enable } $EXTRA_PLUGINS}
EOF
  ip netns exec "$NETNS" "$BUILD/bin/vpp" -c "$RUN_DIR/startup.conf" >"$RUN_DIR/stdout.log" 2>&1 &
  for _ in $(seq 100); do
    [ -S "$RUN_DIR/api.sock" ] && [ -S "$RUN_DIR/cli.sock" ] && break
    sleep 0.2
  done
  sleep 0.5
  # A fixed MAC, as a NIC has: af_packet picks a random one otherwise, and a far end that cached
  # the last VPP's (IPv6 neighbours stay cached for a while) would keep sending to it.
  "$BUILD/bin/vppctl" -s "$RUN_DIR/cli.sock" create host-interface name eth0 hw-addr 02:fe:00:00:00:01
  echo "VPP API socket: $RUN_DIR/api.sock"
}

peer() {
  for tool in wg ping; do
    command -v "$tool" >/dev/null || { echo "peer: $tool is missing (apt-get install wireguard-tools iputils-ping)" >&2; exit 1; }
  done
  ip netns list | grep -qw "$NETNS" || { echo "peer: no netns $NETNS: run '$0 start' first" >&2; exit 1; }
  ip netns list | grep -qw "$PEER_NETNS" || ip netns add "$PEER_NETNS"
  # The veth's far side: in the root namespace after `start`, moved here once.
  ip link show vppwg-peer >/dev/null 2>&1 && ip link set vppwg-peer netns "$PEER_NETNS"
  local ns=(ip -n "$PEER_NETNS")
  "${ns[@]}" link set lo up
  "${ns[@]}" link set vppwg-peer up
  "${ns[@]}" addr replace 192.0.2.254/24 dev vppwg-peer
  "${ns[@]}" addr replace 2001:db8:0:1::fe/64 dev vppwg-peer nodad
  # The endpoints the examples dial: site-to-site's branch-b, the BGP example's dc1-router, the IPv6
  # overlay's lab-east, the VPN server, the IPv6 underlay's site-b.
  for a in 198.51.100.2/32 198.51.100.10/32 198.51.100.30/32 203.0.113.1/32 2001:db8:0:2::2/128; do
    "${ns[@]}" addr replace "$a" dev lo
  done
  "${ns[@]}" neigh flush dev vppwg-peer
  # Ask for VPP's MAC from 192.0.2.254, not from the endpoint address a reply leaves from: VPP drops
  # ARP requests whose sender is outside host-eth0's subnet.
  ip netns exec "$PEER_NETNS" sysctl -qw net.ipv4.conf.all.arp_announce=2 net.ipv4.conf.vppwg-peer.arp_announce=2
  if ! "${ns[@]}" link add vppwg-probe type wireguard 2>/dev/null; then
    command -v wireguard-go >/dev/null || { echo "peer: no WireGuard in the kernel and no wireguard-go" >&2; exit 1; }
  else
    "${ns[@]}" link del vppwg-probe
  fi
  echo "far end: netns $PEER_NETNS (VPPWG_TEST_WG_NETNS=$PEER_NETNS)"
}

case "${1:-}" in
  build) build "${2:-}" ;;
  start) start ;;
  stop) stop ;;
  peer) peer ;;
  *) sed -n '2,25p' "$0" && exit 2 ;;
esac
