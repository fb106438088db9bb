#!/usr/bin/env bash
# Deletes the kind cluster scripts/cluster-up.sh made, with every run's
# namespace in it. Idempotent: a cluster that is not there is fine.
#
#   scripts/cluster-down.sh [--name actorsim]
set -euo pipefail

NAME=actorsim

usage() {
  cat <<'EOF'
Usage: scripts/cluster-down.sh [options]
  --name NAME   kind cluster to delete (default: actorsim)
  -h, --help    this text
The downloaded gVisor release stays cached in ${XDG_CACHE_HOME:-~/.cache}/actorsim/gvisor.
EOF
}

while [[ $# -gt 0 ]]; do
  case "$1" in
    --name) NAME="${2:?--name needs a value}"; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "cluster-down: unknown option $1" >&2; usage >&2; exit 2 ;;
  esac
done

missing=()
for tool in docker kind; do
  command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
done
if [[ ${#missing[@]} -gt 0 ]]; then
  echo "cluster-down: missing: ${missing[*]} (needed to delete a kind cluster)" >&2
  exit 1
fi

if kind get clusters 2>/dev/null | grep -qx "$NAME"; then
  kind delete cluster --name "$NAME"
  echo "cluster-down: deleted kind cluster $NAME"
else
  echo "cluster-down: no kind cluster named $NAME; nothing to do"
fi
