# Shared by scripts/local-cluster-up.sh and scripts/local-cluster-down.sh: where
# the local cluster keeps its build cache and its state, and how its processes
# are found again. Sourced, not run.
# shellcheck shell=bash disable=SC2034 # the variables are read by the scripts that source this

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
# Everything the local cluster writes: binaries, Go caches, certificates,
# process state, logs. Ignored by git (.gitignore: /.local-cluster/).
LC_DIR="${ACTORSIM_LOCAL_CLUSTER_DIR:-$ROOT/.local-cluster}"
LC_BIN="$LC_DIR/bin"
LC_STATE="$LC_DIR/state"
LC_PIDS="$LC_STATE/pids"
LC_LOGS="$LC_STATE/logs"
LC_PKI="$LC_STATE/pki"
LC_KUBECONFIGS="$LC_STATE/kubeconfig"
# The kubectl context written into ~/.kube/config (like kind's kind-actorsim).
LC_CONTEXT=actorsim-local
# containerd's socket, and the runsc root holding its sandboxes' state.
LC_CONTAINERD_SOCK="$LC_STATE/containerd/containerd.sock"
LC_RUNSC_ROOT="$LC_STATE/runsc"
# Address ranges: pods on the cni0 bridge, Services behind kube-proxy.
LC_POD_CIDR=10.88.0.0/16
LC_SERVICE_CIDR=10.96.0.0/16
LC_KUBERNETES_SERVICE_IP=10.96.0.1
LC_ETCD_PORT=12379
LC_APISERVER_PORT=6443
# The processes the cluster is made of, in the order up starts them (down stops them in reverse).
LC_PROCESSES=(etcd kube-apiserver kube-controller-manager kube-scheduler coredns kube-proxy containerd kubelet provisioner)

lc_pid() { # name -> the pid of a process of ours that still runs, or nothing
  local file="$LC_PIDS/$1.pid" pid
  [[ -f "$file" ]] || return 0
  pid="$(cat "$file")"
  # The pid file may outlive its process, and the pid be reused: it must still be the binary we started.
  if [[ "$pid" =~ ^[0-9]+$ ]] && [[ -d "/proc/$pid" ]] && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q -- "$LC_DIR"; then
    echo "$pid"
  fi
}

# Processes started on the cluster's behalf by containerd rather than by us
# (containerd shims, runsc sandboxes and gofers, pause and worker processes
# under runc): each of them has our state folder in its command line or runs
# from a shim that has. Prints their pids.
lc_runtime_pids() {
  local p cmd
  for p in /proc/[0-9]*; do
    cmd="$(tr '\0' ' ' <"$p/cmdline" 2>/dev/null || true)"
    case "$cmd" in
      *containerd-shim*"$LC_CONTAINERD_SOCK"*|*runsc*"$LC_RUNSC_ROOT"*) echo "${p#/proc/}" ;;
    esac
  done
}

# The host's address pods and the API server's clients reach it by.
lc_host_ip() {
  local ip
  ip="$(ip -4 route get 1.1.1.1 2>/dev/null | sed -n 's/.* src \([0-9.]*\).*/\1/p' | head -n 1)"
  [[ -n "$ip" ]] || ip="$(hostname -I 2>/dev/null | awk '{print $1}')"
  echo "$ip"
}

lc_node_name() { hostname | tr '[:upper:]' '[:lower:]'; }
