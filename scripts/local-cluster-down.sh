#!/usr/bin/env bash
# Stops the local cluster scripts/local-cluster-up.sh started and leaves
# nothing of it running or mounted:
#
#   1. deletes the pods (the kubelet tears their sandboxes and networks down);
#   2. stops the kubelet, kills and deletes what containerd still runs, then
#      stops every process up started, by the pid in its pid file (SIGTERM,
#      then SIGKILL after 10 s), and any shim, runsc sandbox or container
#      process of the cluster still alive;
#   3. removes kube-proxy's and the CNI's iptables rules, the pods' network
#      namespaces and the cni0 bridge, and unmounts everything under the state folder.
#
# The build cache, certificates, etcd's data and the imported images stay,
# so the next up is quick; --purge removes the state folder too (not the
# build cache). Idempotent: a cluster that is not running is fine.
#
#   scripts/local-cluster-down.sh [--purge]
set -euo pipefail
# shellcheck source=scripts/local-cluster/common.sh
source "$(dirname "$0")/local-cluster/common.sh"

PURGE=0
usage() {
  cat <<EOF
Usage: scripts/local-cluster-down.sh [options]
  --purge      also delete the state folder $LC_STATE (etcd data, certificates, images, logs)
               and the kubectl context $LC_CONTEXT; the build cache stays
  -h, --help   this text
EOF
}
while [[ $# -gt 0 ]]; do
  case "$1" in
    --purge) PURGE=1; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "local-cluster-down: unknown option $1" >&2; usage >&2; exit 2 ;;
  esac
done
log() { printf 'local-cluster-down: %s\n' "$*"; }
[[ "$(id -u)" == 0 ]] || { echo "local-cluster-down: run it as root, as local-cluster-up.sh was" >&2; exit 1; }
export PATH="$LC_BIN:/usr/sbin:/sbin:$PATH"
ADMIN="$LC_KUBECONFIGS/admin.kubeconfig"

# stop NAME: SIGTERM, up to 10 s, then SIGKILL; removes the pid file.
stop() {
  local name="$1" pid i=0
  pid="$(lc_pid "$name")"
  if [[ -n "$pid" ]]; then
    log "stopping $name (pid $pid)"
    kill -TERM "$pid" 2>/dev/null || true
    while [[ -d "/proc/$pid" && $i -lt 20 ]]; do sleep 0.5; i=$((i + 1)); done
    if [[ -d "/proc/$pid" ]]; then
      log "$name did not stop within 10 s: SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
    fi
  fi
  rm -f "$LC_PIDS/$name.pid"
}

# ---- 1. pods ----
if [[ -n "$(lc_pid kube-apiserver)" && -n "$(lc_pid kubelet)" && -f "$ADMIN" ]]; then
  log "deleting every pod (the kubelet stops their sandboxes and frees their IPs)"
  kubectl --kubeconfig "$ADMIN" delete namespace -l app.kubernetes.io/part-of=actorsim --wait=false >/dev/null 2>&1 || true
  kubectl --kubeconfig "$ADMIN" delete pods --all --all-namespaces --grace-period=2 --timeout=60s >/dev/null 2>&1 || true
fi

# ---- 2. processes ----
stop kubelet
if [[ -n "$(lc_pid containerd)" ]]; then
  lctr() { ctr --address "$LC_CONTAINERD_SOCK" -n k8s.io "$@"; }
  for task in $(lctr tasks ls -q 2>/dev/null); do
    lctr tasks kill -s SIGKILL "$task" >/dev/null 2>&1 || true
  done
  sleep 1
  for task in $(lctr tasks ls -q 2>/dev/null); do lctr tasks delete -f "$task" >/dev/null 2>&1 || true; done
  for c in $(lctr containers ls -q 2>/dev/null); do lctr containers delete "$c" >/dev/null 2>&1 || true; done
fi
for ((i = ${#LC_PROCESSES[@]} - 1; i >= 0; i--)); do
  [[ "${LC_PROCESSES[$i]}" == kubelet ]] || stop "${LC_PROCESSES[$i]}"
done
# Shims, sandboxes and container processes left behind (a containerd that died first, say).
leftovers() {
  lc_runtime_pids
  local procs
  for procs in /sys/fs/cgroup/pids/kubepods /sys/fs/cgroup/memory/kubepods /sys/fs/cgroup/kubepods; do
    [[ -d "$procs" ]] && find "$procs" -name cgroup.procs -exec cat {} + 2>/dev/null
  done
  return 0
}
pids="$(leftovers | sort -un | tr '\n' ' ')"
if [[ -n "${pids// /}" ]]; then
  log "killing leftover shim, sandbox and container processes: $pids"
  # shellcheck disable=SC2086 # a list of pids
  kill -KILL $pids 2>/dev/null || true
  sleep 1
fi

# ---- 3. network, mounts ----
if command -v kube-proxy >/dev/null 2>&1; then
  kube-proxy --cleanup >/dev/null 2>&1 || true
fi
# The bridge plugin's masquerade chains (CNI-<hash>), the kubelet's (KUBE-FIREWALL,
# KUBE-KUBELET-CANARY) and whatever kube-proxy --cleanup left, with the rules that jump to them,
# deleted by rule number (their comments hold quotes that do not survive a shell round trip).
for table in nat filter mangle; do
  for parent in PREROUTING INPUT FORWARD OUTPUT POSTROUTING; do
    # (No such chain in that table is fine.)
    { iptables -t "$table" -L "$parent" -n --line-numbers 2>/dev/null || true; } | awk '$2 ~ /^(CNI|KUBE)-/ {print $1}' | sort -rn | while read -r num; do
      iptables -t "$table" -D "$parent" "$num" 2>/dev/null || true
    done
  done
  for chain in $(iptables -t "$table" -S 2>/dev/null | awk '$1 == "-N" && $2 ~ /^(CNI|KUBE)-/ {print $2}' || true); do
    iptables -t "$table" -F "$chain" 2>/dev/null || true
  done
  for chain in $(iptables -t "$table" -S 2>/dev/null | awk '$1 == "-N" && $2 ~ /^(CNI|KUBE)-/ {print $2}' || true); do
    iptables -t "$table" -X "$chain" 2>/dev/null || true
  done
done
# The pods' network namespaces (containerd names them cni-<uuid> under /var/run/netns) and the bridge.
for ns in /var/run/netns/cni-*; do
  [[ -e "$ns" ]] || continue
  umount "$ns" 2>/dev/null || true
  rm -f "$ns"
done
if ip link show cni0 >/dev/null 2>&1; then
  log "removing the cni0 bridge"
  ip link delete cni0 2>/dev/null || true
fi
# Everything mounted under the state folder (kubelet volumes, containerd's rootfs and shm), deepest first.
if [[ -d "$LC_STATE" ]]; then
  state_real="$(readlink -f "$LC_STATE")"
  awk -v s="$state_real/" 'index($5, s) == 1 {print $5}' /proc/self/mountinfo | sort -r | while read -r m; do
    umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true
  done
  left="$(awk -v s="$state_real/" 'index($5, s) == 1' /proc/self/mountinfo | wc -l)"
  [[ "$left" == 0 ]] || log "warning: $left mount(s) under $LC_STATE remain: grep $LC_STATE /proc/self/mountinfo"
fi
rm -f "$LC_CONTAINERD_SOCK" "$LC_CONTAINERD_SOCK.ttrpc" "$LC_CONTAINERD_SOCK.debug"

if [[ "$PURGE" == 1 ]]; then
  log "removing $LC_STATE and the kubectl context $LC_CONTEXT"
  rm -rf "$LC_STATE"
  user_config="${KUBECONFIG:-$HOME/.kube/config}"
  user_config="${user_config%%:*}"
  if [[ -f "$user_config" ]] && command -v kubectl >/dev/null 2>&1; then
    KUBECONFIG="$user_config" kubectl config delete-context "$LC_CONTEXT" >/dev/null 2>&1 || true
    KUBECONFIG="$user_config" kubectl config delete-cluster "$LC_CONTEXT" >/dev/null 2>&1 || true
    KUBECONFIG="$user_config" kubectl config delete-user "$LC_CONTEXT-admin" >/dev/null 2>&1 || true
  fi
fi
still="$(for n in "${LC_PROCESSES[@]}"; do lc_pid "$n"; done; lc_runtime_pids)"
if [[ -n "$still" ]]; then
  echo "local-cluster-down: still running: $(echo "$still" | tr '\n' ' ')" >&2
  exit 1
fi
log "the local cluster is stopped (build cache kept in $LC_DIR)"
