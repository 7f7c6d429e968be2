#!/usr/bin/env bash
# A throw-away VPP for the real-VPP tests and benches: VPP from source, in its own network
# namespace, with the examples' uplink host-eth0 on a veth. Needs root, git, cmake, ninja,
# clang, python3-ply, libssl-dev, and libnl and libmnl for linux-cp (Debian: apt-get install clang
# ninja-build python3-ply libssl-dev uuid-dev libnl-3-dev libnl-route-3-dev libmnl-dev). VPP_GIT names
# another place to clone VPP from.
#
#   test/real-vpp/run-vpp.sh build [REF]   clone FD.io VPP (REF, default master) into $VPP_DIR and build
#                                          vpp, vppctl and the wireguard, af_packet and ping plugins; with
#                                          DPDK_PREFIX (a DPDK build-dpdk made) the dpdk plugin too
#   test/real-vpp/run-vpp.sh build-dpdk [TAG]
#                                          build DPDK (TAG, default $DPDK_REF) for the dpdk plugin and
#                                          install it in $DPDK_PREFIX (see below); CI never runs it
#   test/real-vpp/run-vpp.sh start [--uplink af_packet|dpdk] [--bridge BRNS] [--poll-sleep-usec N]
#                                          (re)start it; the API socket is $RUN_DIR/api.sock. The uplink
#                                          (MAC $MAC) is af_packet's host-eth0 by default;
#                                          `--uplink dpdk` makes it a DPDK vdev instead ($DPDK_VDEV, default
#                                          a net_tap wired to the same veth by tc), with $HUGEPAGES 2 MB pages
#                                          reserved (released by stop); VPP then names it itself
#                                          (TenGigabitEthernet0: its speed and DPDK port id), so the
#                                          file must match the uplink by MAC (or DPDK_NAME=host-eth0
#                                          has VPP rename it, for real-vpp.test.ts). Its carrier is the
#                                          Linux tap's (up and running), which VPP polls every 3 s.
#                                          With --bridge, host-eth0's veth joins the Linux bridge br0 in
#                                          netns BRNS (made when missing) instead of waiting for `peer`:
#                                          instances started with the same BRNS share one L2 segment.
#                                          --poll-sleep-usec N makes VPP sleep N µs between idle polls
#                                          (unix { poll-sleep-usec }) instead of spinning a core
#   test/real-vpp/run-vpp.sh stop          stops this instance's VPP (the one started with
#                                          $RUN_DIR/startup.conf; others of the same build keep running)
#                                          and gives back the hugepages start reserved
#   test/real-vpp/run-vpp.sh destroy       stop, then delete $NETNS (its veth goes with it); BRNS goes
#                                          once its bridge holds no veth
#   test/real-vpp/run-vpp.sh peer          the far end for the real-peer tests: netns $PEER_NETNS on the
#                                          other side of host-eth0's veth, holding the examples' gateway
#                                          (192.0.2.254, 2001:db8:0:1::fe) and remote endpoints; needs
#                                          wg (wireguard-tools), wireguard-go unless the kernel has
#                                          WireGuard, and ping (iputils-ping)
#
# VPP_BUILD names another build directory (default $VPP_DIR/build-clang). MAIN_HEAP sizes VPP's main
# heap (e.g. 4G: the 1 GB default runs out between 20,000 and 50,000 peers). LINUX_CP=1 loads
# linux-cp and linux-nl as well.
#
# Several instances (one VPP build): give each its own RUN_DIR and NETNS; what else is per instance
# derives from them: the veth (VETH, default vppwg-peer for the default NETNS vppwg-vpp, else
# <NETNS>-v), the far end's netns (PEER_NETNS, default vppwg-wg, else <NETNS>-far), host-eth0's MAC
# (MAC, default 02:fe:00:00:00:01, else one derived from NETNS), the api-segment prefix, and the
# stats socket (in RUN_DIR). Two VPPs on one bridge, for instance:
#   RUN_DIR=/tmp/vpp-fleet-a NETNS=vppwg-fa test/real-vpp/run-vpp.sh start --bridge vppwg-fbr --poll-sleep-usec 100
#   RUN_DIR=/tmp/vpp-fleet-b NETNS=vppwg-fb test/real-vpp/run-vpp.sh start --bridge vppwg-fbr --poll-sleep-usec 100
#
# DPDK for the dpdk plugin (found on 2026-12-07): Debian's libdpdk-dev (22.11) lacks the driver-SDK
# headers the plugin includes. `build-dpdk [TAG]` builds DPDK $DPDK_REF (the version VPP's
# build/external/packages/dpdk.mk names) from its source ($DPDK_GIT) the way dpdk.mk does: static
# libraries, the driver SDK, a libdpdk.a linker script; but only the drivers listed in DPDK_DRIVERS,
# net/tap among them (dpdk.mk leaves it out). It installs into DPDK_PREFIX (default /tmp/dpdk-static;
# about 4.5 minutes on 2 cores); `DPDK_PREFIX=... build` then links it whole into the dpdk plugin, as
# VPP's own build does. A shared DPDK installed under /tmp does not work: its EAL loads its drivers
# (the buses too) as plugins from its install directory and refuses a directory below a
# world-writable one ("EAL: Error, directory path /tmp is world-writable and insecure", then
# "Cannot init plugins"), which rte_eal_init returns as EINVAL: the "Invalid argument" VPP reported.
#
# then: VPPWG_TEST_VPP_SOCKET=$RUN_DIR/api.sock npx jest test/real-vpp
#       VPP_API_SOCKET=$RUN_DIR/api.sock npm run bench -- client reconcile
#       after `peer`: VPPWG_TEST_WG_NETNS=$PEER_NETNS VPPWG_TEST_VPP_SOCKET=... npx jest test/real-vpp
#       and VPPWG_TEST_VPP_RESTART="VPP_DIR=... bash $PWD/test/real-vpp/run-vpp.sh start" restarts VPP
#       under the daemon
#       on the DPDK uplink (`start --uplink dpdk`, then `peer`): the examples matched by MAC, the
#       carrier, the daemon across a restart:
#         VPPWG_TEST_VPP_SOCKET=$RUN_DIR/api.sock VPPWG_TEST_UPLINK_MAC=$MAC VPPWG_TEST_WG_NETNS=$PEER_NETNS \
#         VPPWG_TEST_UPLINK_CARRIER="ip -n $NETNS link set $TAP_IFACE" \
#         VPPWG_TEST_VPP_RESTART="bash $PWD/test/real-vpp/run-vpp.sh start --uplink dpdk" npx jest test/real-vpp/dpdk.test.ts
#       and real-vpp.test.ts on the DPDK port: DPDK_NAME=host-eth0 in both start commands
#
# Found while setting this up: a gcc 12 build (Debian 12) of 26.06 and of 26.10-rc0 corrupted its
# heap on the first interface state change, before any API client connected; the clang build works.
# The netns keeps VPP's 192.0.2.0/24 away from the host's own network (which may use it too). The
# ping plugin (when built) makes VPP answer ICMP echo, through the tunnel too.
set -euo pipefail

VPP_DIR=${VPP_DIR:-/tmp/vpp-src}
RUN_DIR=${RUN_DIR:-/tmp/vpp-run}
NETNS=${NETNS:-vppwg-vpp}
BUILD=${VPP_BUILD:-$VPP_DIR/build-clang}
# The default instance keeps the names it always had (the lead's setup and docs use them).
if [ "$RUN_DIR" = /tmp/vpp-run ] && [ "$NETNS" = vppwg-vpp ]; then
  DEFAULT_INSTANCE=1
  PEER_NETNS=${PEER_NETNS:-vppwg-wg}
  VETH=${VETH:-vppwg-peer}
  MAC=${MAC:-02:fe:00:00:00:01}
  API_PREFIX=vppwg-test
else
  DEFAULT_INSTANCE=
  PEER_NETNS=${PEER_NETNS:-$NETNS-far}
  VETH=${VETH:-$NETNS-v}
  MAC=${MAC:-$(printf '%s' "$NETNS" | md5sum | sed -E 's/^(..)(..)(..)(..).*/02:fe:\1:\2:\3:\4/')}
  API_PREFIX=vppwg-$(printf '%s' "$RUN_DIR" | md5sum | cut -c1-8)
fi
if [ ${#VETH} -gt 15 ]; then
  echo "veth name $VETH is longer than Linux's 15 characters: use a shorter NETNS or set VETH" >&2
  exit 2
fi
# --uplink dpdk: the vdev VPP drives through DPDK, its Linux side, and the 2 MB pages reserved for it.
TAP_IFACE=${TAP_IFACE:-vppwg-tap0}
DPDK_VDEV=${DPDK_VDEV:-net_tap0,iface=$TAP_IFACE,mac=$MAC}
HUGEPAGES=${HUGEPAGES:-256}
# VPP's name for the DPDK port, when not its own (TenGigabitEthernet0 for the tap): host-eth0 lets
# real-vpp.test.ts, whose files name the uplink host-eth0, run on the DPDK port.
DPDK_NAME=${DPDK_NAME:-}
# VPP's main heap (memory { main-heap-size }): its 1 GB default ran out adding 50,000 peers.
MAIN_HEAP=${MAIN_HEAP:-}
NR_HUGEPAGES=/proc/sys/vm/nr_hugepages
# Where to clone VPP from (a local mirror works as well).
VPP_GIT=${VPP_GIT:-https://github.com/FDio/vpp.git}
# build-dpdk: DPDK's source, build and install places, the tag (VPP's dpdk.mk names the version) and
# the drivers (bus/vmbus because the plugin includes rte_bus_vmbus.h; net/tap for the uplink).
DPDK_PREFIX_SET=${DPDK_PREFIX:-}
DPDK_PREFIX=${DPDK_PREFIX:-/tmp/dpdk-static}
DPDK_SRC=${DPDK_SRC:-/tmp/dpdk-src}
DPDK_BUILD_DIR=${DPDK_BUILD_DIR:-/tmp/dpdk-build}
DPDK_GIT=${DPDK_GIT:-https://github.com/DPDK/dpdk.git}
DPDK_REF=${DPDK_REF:-v26.07}
DPDK_DRIVERS=${DPDK_DRIVERS:-bus/pci,bus/vdev,bus/vmbus,mempool/ring,net/tap,net/null,net/ring,net/virtio}

# DPDK as VPP's own build makes it (build/external/packages/dpdk.mk): static libraries, the driver SDK,
# the PMDs VPP needs, and a libdpdk.a linker script that VPP's CMake links whole into dpdk_plugin.so;
# unlike dpdk.mk, net/tap is kept (a tap vdev is the DPDK port that reaches a Linux far end here).
# meson and pyelftools from the system python (Debian: meson python3-pyelftools libnuma-dev).
build_dpdk() {
  local ref=${1:-$DPDK_REF}
  for tool in meson ninja pkg-config; do
    command -v "$tool" >/dev/null || { echo "build-dpdk: $tool is missing (apt-get install meson ninja-build pkg-config python3-pyelftools libnuma-dev)" >&2; exit 1; }
  done
  /usr/bin/python3 -c 'import elftools' 2>/dev/null || { echo "build-dpdk: python3-pyelftools is missing" >&2; exit 1; }
  if [ -d "$DPDK_SRC/.git" ]; then
    git -C "$DPDK_SRC" fetch --depth 1 origin tag "$ref" && git -C "$DPDK_SRC" checkout -q "$ref"
  elif [ -f "$DPDK_SRC/meson.build" ]; then
    echo "build-dpdk: using the DPDK source already in $DPDK_SRC ($(cat "$DPDK_SRC/VERSION"))"
  else
    git clone --depth 1 --branch "$ref" "$DPDK_GIT" "$DPDK_SRC"
  fi
  # gso stays: net/tap needs it. The rest of dpdk.mk's list is left out, as VPP does.
  local libs=acl,bbdev,bitratestats,bpf,cfgfile,distributor,efd,fib,graph,gro,jobstats,latencystats,lpm
  libs+=,member,node,pipeline,port,power,rawdev,rib,table
  # An earlier build directory is reconfigured, keeping what it compiled.
  local again=()
  [ -f "$DPDK_BUILD_DIR/build.ninja" ] && again=(--reconfigure)
  PATH=/usr/bin:/bin:$PATH meson setup "${again[@]}" "$DPDK_SRC" "$DPDK_BUILD_DIR" --default-library static --libdir lib \
    --prefix "$DPDK_PREFIX" --buildtype release -Db_pie=true -Dplatform=generic -Dtests=false \
    -Denable_driver_sdk=true -Ddisable_apps='*' -Ddisable_libs="$libs" -Denable_drivers="$DPDK_DRIVERS"
  PATH=/usr/bin:/bin:$PATH ninja -C "$DPDK_BUILD_DIR" install
  # VPP's CMake links one libdpdk.a: a script grouping the installed archives, as dpdk.mk writes it.
  # DPDK builds shared libraries too: they go, as dpdk.mk removes them, so nothing links or loads them.
  (cd "$DPDK_PREFIX/lib" && echo "GROUP ( $(ls librte*.a) )" >libdpdk.a &&
    rm -rf librte*.so librte*.so.* dpdk/*/librte*.so dpdk/*/librte*.so.*)
  echo "DPDK $ref installed in $DPDK_PREFIX: now DPDK_PREFIX=$DPDK_PREFIX $0 build"
}

build() {
  local ref=${1:-master}
  [ -d "$VPP_DIR/.git" ] || git clone "$VPP_GIT" "$VPP_DIR"
  git -C "$VPP_DIR" checkout -q "$ref"
  local plugins="wireguard;af_packet;ping;linux_cp;linux_cp_unittest;linux_nl" targets=()
  # linux-cp makes its host interfaces through VPP's tap, a plugin of its own in newer VPPs.
  if [ -d "$VPP_DIR/src/plugins/tap" ]; then
    plugins+=";tap"
    targets+=(tap_plugin)
  fi
  local dpdk=()
  if [ -n "${DPDK_PREFIX_SET:-}" ]; then
    [ -f "$DPDK_PREFIX/lib/libdpdk.a" ] || { echo "build: no $DPDK_PREFIX/lib/libdpdk.a: run '$0 build-dpdk' first (or unset DPDK_PREFIX)" >&2; exit 1; }
    plugins+=";dpdk"
    targets+=(dpdk_plugin)
    # VPP's own way: the static DPDK linked whole into the plugin (not VPP_USE_SYSTEM_DPDK, whose
    # shared DPDK made rte_eal_init fail, see the top of this file).
    dpdk=(-DVPP_USE_SYSTEM_DPDK=OFF "-DDPDK_INCLUDE_DIR=$DPDK_PREFIX/include" "-DDPDK_LIB=$DPDK_PREFIX/lib/libdpdk.a")
  fi
  # vppapigen needs ply from the system python, not a pyenv one. linux_cp_unittest is listed because
  # VPP's plugin filter leaves the linux-cp folder at the first plugin it skips, before linux_nl.
  cmake -G Ninja -S "$VPP_DIR/src" -B "$BUILD" -DCMAKE_BUILD_TYPE=release -DCMAKE_C_COMPILER=clang \
    -DVPP_USE_LTO=OFF -DVPP_BUILD_NATIVE_ONLY=ON -DVPP_PLUGINS="$plugins" \
    -DPython3_EXECUTABLE=/usr/bin/python3 "${dpdk[@]}"
  PATH=/usr/bin:/bin:$PATH ninja -C "$BUILD" vpp vppctl wireguard_plugin af_packet_plugin ping_plugin \
    openssl_crypto_engine native_crypto_engine linux_cp_plugin linux_nl_plugin "${targets[@]}"
}

# The 2 MB pages DPDK's buffers live in: the count before is kept in $RUN_DIR, and given back by stop.
reserve_hugepages() {
  [ -f "$RUN_DIR/nr_hugepages.before" ] || cat "$NR_HUGEPAGES" >"$RUN_DIR/nr_hugepages.before"
  local before
  before=$(cat "$RUN_DIR/nr_hugepages.before")
  echo $((before + HUGEPAGES)) >"$NR_HUGEPAGES"
  local got
  got=$(cat "$NR_HUGEPAGES")
  if [ "$got" -lt $((before + HUGEPAGES)) ]; then
    release_hugepages
    echo "start: the kernel gave $((got - before)) of $HUGEPAGES hugepages (memory fragmented?): set HUGEPAGES lower" >&2
    exit 1
  fi
}

release_hugepages() {
  [ -f "$RUN_DIR/nr_hugepages.before" ] || return 0
  cat "$RUN_DIR/nr_hugepages.before" >"$NR_HUGEPAGES"
  rm -f "$RUN_DIR/nr_hugepages.before"
}

# This instance's VPP: the one reading $RUN_DIR/startup.conf (other instances share the binary).
instance_pids() {
  local pattern
  pattern=$(printf '%s' "$BUILD/bin/vpp -c $RUN_DIR/startup.conf" | sed 's/[][\.*^$+?(){}|]/\\&/g')
  pgrep -f -x "$pattern" || true
}

stop() {
  local pids
  pids=$(instance_pids)
  if [ -n "$pids" ]; then
    # shellcheck disable=SC2086
    kill $pids 2>/dev/null || true
    for _ in $(seq 50); do
      [ -z "$(instance_pids)" ] && break
      sleep 0.1
    done
    pids=$(instance_pids)
    # shellcheck disable=SC2086
    [ -z "$pids" ] || kill -9 $pids 2>/dev/null || true
  fi
  release_hugepages
}

destroy() {
  stop
  ip netns list | grep -qw "$NETNS" && ip netns del "$NETNS"
  # The veth's far side (in the root netns, a bridge's netns or the far end's) goes with its pair,
  # once the kernel has finished the netns (it does so in the background).
  local brns
  for brns in $(cat "$RUN_DIR/bridge-netns" 2>/dev/null); do
    ip netns list | grep -qw "$brns" || continue
    for _ in $(seq 30); do
      [ -z "$(ip -n "$brns" link show master br0 2>/dev/null)" ] && break
      sleep 0.1
    done
    [ -n "$(ip -n "$brns" link show master br0 2>/dev/null)" ] || ip netns del "$brns"
  done
  rm -f "$RUN_DIR/bridge-netns"
}

# The veth's far side joins br0 in netns $1 (made when missing): every instance joined there shares its L2.
join_bridge() {
  local brns=$1
  ip netns list | grep -qw "$brns" || ip netns add "$brns"
  local br=(ip -n "$brns")
  "${br[@]}" link show br0 >/dev/null 2>&1 || "${br[@]}" link add br0 type bridge
  "${br[@]}" link set br0 up
  ip link show "$VETH" >/dev/null 2>&1 && ip link set "$VETH" netns "$brns"
  "${br[@]}" link set "$VETH" master br0
  "${br[@]}" link set "$VETH" up
  echo "$brns" >"$RUN_DIR/bridge-netns"
}

start() {
  local uplink=af_packet bridge="" poll_sleep=""
  while [ $# -gt 0 ]; do
    case "$1" in
      --uplink) uplink=${2:-}; shift 2 || true ;;
      --uplink=*) uplink=${1#--uplink=}; shift ;;
      --bridge) bridge=${2:-}; shift 2 || true ;;
      --bridge=*) bridge=${1#--bridge=}; shift ;;
      --poll-sleep-usec) poll_sleep=${2:-}; shift 2 || true ;;
      --poll-sleep-usec=*) poll_sleep=${1#--poll-sleep-usec=}; shift ;;
      *) echo "start: unknown option $1 (expected --uplink af_packet|dpdk, --bridge NETNS, --poll-sleep-usec N)" >&2; exit 2 ;;
    esac
  done
  if [ -n "$poll_sleep" ] && ! [[ "$poll_sleep" =~ ^[0-9]+$ ]]; then
    echo "start: --poll-sleep-usec $poll_sleep: give whole microseconds, e.g. 100" >&2
    exit 2
  fi
  if [ -n "$bridge" ] && [ "$uplink" = dpdk ]; then
    echo "start: --bridge joins host-eth0's veth to a bridge; it goes with --uplink af_packet only" >&2
    exit 2
  fi
  case "$uplink" in
    af_packet | dpdk) ;;
    *) echo "start: --uplink $uplink: expected af_packet or dpdk" >&2; exit 2 ;;
  esac
  if [ "$uplink" = dpdk ] && [ ! -e "$BUILD/lib/x86_64-linux-gnu/vpp_plugins/dpdk_plugin.so" ]; then
    echo "start: $BUILD has no dpdk plugin: build VPP with DPDK_PREFIX set (see the top of $0)" >&2
    exit 1
  fi
  stop
  mkdir -p "$RUN_DIR"
  rm -f "$RUN_DIR"/{api,cli}.sock
  ip netns list | grep -qw "$NETNS" || ip netns add "$NETNS"
  # Made once; made again when its far side's netns (a bridge's) was deleted, taking the pair along.
  if ! ip -n "$NETNS" link show eth0 >/dev/null 2>&1; then
    ip link add "$VETH" type veth peer name eth0 netns "$NETNS"
    ip link set "$VETH" up
    ip netns exec "$NETNS" ip link set eth0 up
  fi
  [ -z "$bridge" ] || join_bridge "$bridge"
  # Before 25.02 VPP's crypto engines were plugins (WireGuard needs one); later ones load on their
  # own. ping answers ICMP echo (builds from before it was in the list lack it).
  local EXTRA_PLUGINS=""
  for p in crypto_native_plugin.so crypto_openssl_plugin.so ping_plugin.so; do
    [ -e "$BUILD/lib/x86_64-linux-gnu/vpp_plugins/$p" ] && EXTRA_PLUGINS+="plugin $p { enable } "
  done
  # LINUX_CP=1: linux-cp and linux-nl too (the BGP layout; its pairs need /dev/vhost-net).
  if [ "${LINUX_CP:-}" = 1 ]; then
    for p in linux_cp_plugin.so linux_nl_plugin.so; do
      [ -e "$BUILD/lib/x86_64-linux-gnu/vpp_plugins/$p" ] || { echo "start: LINUX_CP=1 but $BUILD has no $p: build again" >&2; exit 1; }
      EXTRA_PLUGINS+="plugin $p { enable } "
    done
    # Where tap is a plugin, linux-cp's pairs need it (without it VPP answers "tap plugin not loaded").
    if [ -d "$VPP_DIR/src/plugins/tap" ]; then
      [ -e "$BUILD/lib/x86_64-linux-gnu/vpp_plugins/tap_plugin.so" ] || { echo "start: LINUX_CP=1 but $BUILD has no tap_plugin.so: build again" >&2; exit 1; }
      EXTRA_PLUGINS+="plugin tap_plugin.so { enable } "
    fi
  fi
  # A DPDK vdev instead of af_packet: DPDK's own driver (net_tap makes a Linux tap in VPP's netns),
  # no PCI scan, and a small buffer pool in the hugepages reserved for it.
  local DPDK_CONF=""
  if [ "$uplink" = dpdk ]; then
    reserve_hugepages
    # The Linux tap carries the DPDK port's MAC, so its IPv6 link-local address would be VPP's: no
    # IPv6 on the wire's Linux ends (the tap is made with this default).
    ip netns exec "$NETNS" sysctl -qw net.ipv6.conf.default.disable_ipv6=1 net.ipv6.conf.eth0.disable_ipv6=1
    EXTRA_PLUGINS+="plugin dpdk_plugin.so { enable } "
    DPDK_CONF="dpdk { no-pci vdev $DPDK_VDEV } buffers { buffers-per-numa 16384 }"
  fi
  # Another instance gets its own stats socket (the default one, /run/vpp/stats.sock, is the first's).
  local STATS_CONF="" POLL_CONF=""
  [ -n "$DEFAULT_INSTANCE" ] || STATS_CONF="statseg { socket-name $RUN_DIR/stats.sock }"
  [ -z "$poll_sleep" ] || POLL_CONF="poll-sleep-usec $poll_sleep"
  cat >"$RUN_DIR/startup.conf" <<EOF
unix { nodaemon log $RUN_DIR/vpp.log cli-listen $RUN_DIR/cli.sock $POLL_CONF }
socksvr { socket-name $RUN_DIR/api.sock }
api-segment { prefix $API_PREFIX }
${MAIN_HEAP:+memory { main-heap-size $MAIN_HEAP \}}
$STATS_CONF
plugins { plugin default { disable } plugin wireguard_plugin.so { enable } plugin af_packet_plugin.so { enable } $EXTRA_PLUGINS}
$DPDK_CONF
EOF
  ip netns exec "$NETNS" "$BUILD/bin/vpp" -c "$RUN_DIR/startup.conf" >"$RUN_DIR/stdout.log" 2>&1 &
  for _ in $(seq 100); do
    [ -S "$RUN_DIR/api.sock" ] && [ -S "$RUN_DIR/cli.sock" ] && break
    sleep 0.2
  done
  sleep 0.5
  if [ "$uplink" = dpdk ]; then
    # The tap DPDK made and the veth become one wire (tc redirects each one's ingress to the other),
    # so the far end (`peer`) is reached as with af_packet. Not a Linux bridge: DPDK gives the Linux
    # tap the port's own MAC (again at each start of the port), and a bridge takes a port's MAC for
    # its own: it kept the frames for VPP's MAC and dropped those VPP sent from it.
    local ns=(ip -n "$NETNS") tc=(ip netns exec "$NETNS" tc)
    if ! "${ns[@]}" link show "$TAP_IFACE" >/dev/null 2>&1; then
      grep -h 'dpdk\|EAL' "$RUN_DIR/stdout.log" "$RUN_DIR/vpp.log" >&2 || true
      echo "start: DPDK made no $TAP_IFACE in netns $NETNS (see above and $RUN_DIR/vpp.log)" >&2
      exit 1
    fi
    "${ns[@]}" link del vppwg-br 2>/dev/null || true
    "${ns[@]}" link set "$TAP_IFACE" up
    local from to
    for from in eth0 "$TAP_IFACE"; do
      to=$([ "$from" = eth0 ] && echo "$TAP_IFACE" || echo eth0)
      "${tc[@]}" qdisc del dev "$from" ingress 2>/dev/null || true
      "${tc[@]}" qdisc add dev "$from" ingress
      "${tc[@]}" filter add dev "$from" parent ffff: protocol all u32 match u32 0 0 action mirred egress redirect dev "$to"
    done
    local vppctl=("$BUILD/bin/vppctl" -s "$RUN_DIR/cli.sock") port
    # VPP's name for the port: the interface whose hardware line gives its MAC.
    port=$("${vppctl[@]}" show hardware-interfaces | awk -v mac="$MAC" '/^[^ ]/ { name = $1 } $0 ~ "Ethernet address " mac { print name; exit }')
    [ -n "$port" ] || { echo "start: VPP has no interface with MAC $MAC" >&2; exit 1; }
    if [ -n "$DPDK_NAME" ]; then
      "${vppctl[@]}" set interface name "$port" "$DPDK_NAME"
      port=$DPDK_NAME
    fi
    "${vppctl[@]}" show hardware-interfaces brief
    echo "DPDK uplink: $port; match it by MAC $MAC; its carrier: ip -n $NETNS link set $TAP_IFACE down|up"
  else
    # The veth is af_packet's again, not a wire to a DPDK tap an earlier `start --uplink dpdk` made.
    ip netns exec "$NETNS" tc qdisc del dev eth0 ingress 2>/dev/null || true
    # A fixed MAC, as a NIC has: af_packet picks a random one otherwise, and a far end that cached
    # the last VPP's (IPv6 neighbours stay cached for a while) would keep sending to it.
    "$BUILD/bin/vppctl" -s "$RUN_DIR/cli.sock" create host-interface name eth0 hw-addr "$MAC"
  fi
  echo "VPP API socket: $RUN_DIR/api.sock"
}

peer() {
  for tool in wg ping; do
    command -v "$tool" >/dev/null || { echo "peer: $tool is missing (apt-get install wireguard-tools iputils-ping)" >&2; exit 1; }
  done
  ip netns list | grep -qw "$NETNS" || { echo "peer: no netns $NETNS: run '$0 start' first" >&2; exit 1; }
  ip netns list | grep -qw "$PEER_NETNS" || ip netns add "$PEER_NETNS"
  # The veth's far side: in the root namespace after `start`, moved here once.
  ip link show "$VETH" >/dev/null 2>&1 && ip link set "$VETH" netns "$PEER_NETNS"
  local ns=(ip -n "$PEER_NETNS")
  "${ns[@]}" link set lo up
  "${ns[@]}" link set "$VETH" up
  "${ns[@]}" addr replace 192.0.2.254/24 dev "$VETH"
  "${ns[@]}" addr replace 2001:db8:0:1::fe/64 dev "$VETH" nodad
  # The endpoints the examples dial: site-to-site's branch-b, the BGP example's dc1-router, the IPv6
  # overlay's lab-east, the VPN server, the IPv6 underlay's site-b.
  for a in 198.51.100.2/32 198.51.100.10/32 198.51.100.30/32 203.0.113.1/32 2001:db8:0:2::2/128; do
    "${ns[@]}" addr replace "$a" dev lo
  done
  "${ns[@]}" neigh flush dev "$VETH"
  # Ask for VPP's MAC from 192.0.2.254, not from the endpoint address a reply leaves from: VPP drops
  # ARP requests whose sender is outside host-eth0's subnet.
  ip netns exec "$PEER_NETNS" sysctl -qw net.ipv4.conf.all.arp_announce=2 "net.ipv4.conf.$VETH.arp_announce=2"
  if ! "${ns[@]}" link add vppwg-probe type wireguard 2>/dev/null; then
    command -v wireguard-go >/dev/null || { echo "peer: no WireGuard in the kernel and no wireguard-go" >&2; exit 1; }
  else
    "${ns[@]}" link del vppwg-probe
  fi
  echo "far end: netns $PEER_NETNS (VPPWG_TEST_WG_NETNS=$PEER_NETNS)"
}

case "${1:-}" in
  build) build "${2:-}" ;;
  build-dpdk) build_dpdk "${2:-}" ;;
  start) shift && start "$@" ;;
  stop) stop ;;
  destroy) destroy ;;
  peer) peer ;;
  *) sed -n '2,/^set -euo pipefail/{/^set /!p}' "$0" && exit 2 ;;
esac
