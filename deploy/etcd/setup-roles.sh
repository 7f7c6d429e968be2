#!/bin/sh
# Creates the operators' role and one role per node (see README.md), then enables auth.
# Usage: ETCDCTL_ENDPOINTS=... ETCDCTL_CACERT=... ETCDCTL_CERT=root.crt ETCDCTL_KEY=root.key \
#        ./setup-roles.sh NODE...
set -eu
[ $# -ge 1 ] || { echo "usage: $0 NODE..." >&2; exit 1; }
export ETCDCTL_API=3
etcdctl role add root >/dev/null 2>&1 || true
etcdctl user add root --no-password >/dev/null 2>&1 || true
etcdctl user grant-role root root
vppwg fleet roles "$@" | sh -e
etcdctl auth enable
