#!/usr/bin/env bash
# Creates a kind cluster whose nodes run pods under gVisor, for
# `npm run bench:cluster -- --backend k8s`:
#
#   1. checks the prerequisites (docker with a running daemon, kind, kubectl,
#      curl, tar with bzip2, a sha512 tool) and names every one missing;
#   2. creates the kind cluster (1 control plane + workers), or reuses it;
#   3. installs gVisor on every node: the release tarball (runsc,
#      containerd-shim-runsc-v1 and the gvisor-bin/ helpers runsc starts), at a
#      pinned release, checked against the sha512 gVisor publishes beside it
#      AND the sha512 pinned in this script; adds the `runsc` runtime handler
#      to each node's containerd (in the node's config version) and restarts it;
#   4. creates RuntimeClass `gvisor` (handler runsc);
#   5. builds the image (scripts/build-image.sh) and loads it into the nodes;
#   6. runs one pod under gVisor to prove it works.
#
# Idempotent: run it again and it reuses the cluster, skips what is in place,
# and checks again. Undo with scripts/cluster-down.sh.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"

NAME=actorsim
NODES=3
IMAGE=actorsim:dev
NODE_IMAGE=""
BUILD_IMAGE=1
PRINT_CONFIG=0
# gVisor release, and the sha512 of its gvisor.tar.bz2 per architecture. Since
# release 20260824 gVisor publishes one tarball per architecture (no bare runsc):
# https://storage.googleapis.com/gvisor/releases/release/<release>/<arch>/gvisor.tar.bz2(.sha512)
GVISOR_RELEASE=20260928.0
GVISOR_SHA512=""

pinned_sha512() { # release arch -> the pinned sha512 of gvisor.tar.bz2, or nothing
  case "$1/$2" in
    20260928.0/x86_64) echo c8d3a9fd4d4c4f5b8ff213caa4517356be128d18659ec4cde37828fe797f61a9725a602a846c81a8ed19c057a996515d31c081eba343ed4613a89951ba32ed59 ;;
    20260928.0/aarch64) echo 926538a4f20056d44838f230297ecec9192db2562e2523a207295f706b76126725f2ff7b4e59d747147510c5714057eeec862a0f77d43bf625746592b5f51b00 ;;
    *) ;;
  esac
}

usage() {
  cat <<EOF
Usage: scripts/cluster-up.sh [options]
  --name NAME             kind cluster name (default: $NAME; kubectl context kind-NAME)
  --nodes N               nodes in all: 1 control plane + N-1 workers (default: $NODES; 1: a single node)
  --gvisor-release R      gVisor release, YYYYMMDD.N (default: $GVISOR_RELEASE)
  --gvisor-sha512 SUM     sha512 of that release's gvisor.tar.bz2 for this machine's architecture,
                          required for a release not pinned in this script
  --image IMAGE           image to build and load (default: $IMAGE)
  --node-image IMAGE      kind node image (default: kind's own)
  --skip-image            do not build or load the image (nor run the gVisor check pod)
  --print-config          print the kind config, containerd and runsc snippets and the RuntimeClass, and exit
  -h, --help              this text
EOF
}

log() { printf 'cluster-up: %s\n' "$*"; }
warn() { printf 'cluster-up: warning: %s\n' "$*" >&2; }
die() { printf 'cluster-up: %s\n' "$*" >&2; exit 1; }

while [[ $# -gt 0 ]]; do
  case "$1" in
    --name) NAME="${2:?--name needs a value}"; shift 2 ;;
    --nodes) NODES="${2:?--nodes needs a value}"; shift 2 ;;
    --gvisor-release) GVISOR_RELEASE="${2:?--gvisor-release needs a value}"; shift 2 ;;
    --gvisor-sha512) GVISOR_SHA512="${2:?--gvisor-sha512 needs a value}"; shift 2 ;;
    --image) IMAGE="${2:?--image needs a value}"; shift 2 ;;
    --node-image) NODE_IMAGE="${2:?--node-image needs a value}"; shift 2 ;;
    --skip-image) BUILD_IMAGE=0; shift ;;
    --print-config) PRINT_CONFIG=1; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "cluster-up: unknown option $1" >&2; usage >&2; exit 2 ;;
  esac
done
[[ "$NODES" =~ ^[1-9][0-9]*$ ]] || die "--nodes: expected a positive integer, got \"$NODES\""
[[ "$GVISOR_RELEASE" =~ ^[0-9]{8}\.[0-9]+$ ]] || die "--gvisor-release: expected YYYYMMDD.N (e.g. 20260928.0), got \"$GVISOR_RELEASE\""
[[ -z "$GVISOR_SHA512" || "$GVISOR_SHA512" =~ ^[0-9a-f]{128}$ ]] || die "--gvisor-sha512: expected 128 hex digits"
[[ "$NAME" =~ ^[a-z0-9]([-a-z0-9]*[a-z0-9])?$ ]] || die "--name: expected lower case letters, digits and '-', got \"$NAME\""
CONTEXT="kind-$NAME"

kind_config() {
  printf 'kind: Cluster\napiVersion: kind.x-k8s.io/v1alpha4\nname: %s\nnodes:\n  - role: control-plane\n' "$NAME"
  local i=1
  while [[ $i -lt $NODES ]]; do
    printf '  - role: worker\n'
    i=$((i + 1))
  done
}

# The runsc handler in a node's containerd config. containerd config version 2
# names the CRI plugin io.containerd.grpc.v1.cri; version 3 (containerd 2
# native) io.containerd.cri.v1.runtime. kind's nodes use version 2 today and
# are moving to 3 (kubernetes-sigs/kind#3946), so the handler is added after
# the cluster exists, in the form of the version the node's file declares,
# rather than as a containerdConfigPatches entry that fits only one of them.
runsc_handler() { # plugin
  cat <<EOF
[plugins."$1".containerd.runtimes.runsc]
  runtime_type = "io.containerd.runsc.v1"
[plugins."$1".containerd.runtimes.runsc.options]
  TypeUrl = "io.containerd.runsc.v1.options"
  ConfigPath = "/etc/containerd/runsc.toml"
EOF
}

# runsc's flags. systemd-cgroup must match the kubelet's cgroup driver (kind's
# is systemd): otherwise pod memory limits are not applied to the sandbox.
# oci-seccomp: apply the pod's seccomp profile (RuntimeDefault) inside the
# sandbox too, as the restricted Pod Security level asks.
runsc_toml() { # true|false
  printf '[runsc_config]\n  systemd-cgroup = "%s"\n  oci-seccomp = "true"\n' "$1"
}

runtime_class() {
  cat <<'EOF'
apiVersion: node.k8s.io/v1
kind: RuntimeClass
metadata:
  name: gvisor
  labels:
    app.kubernetes.io/part-of: actorsim
handler: runsc
EOF
}

if [[ "$PRINT_CONFIG" == 1 ]]; then
  echo "# kind cluster config"
  kind_config
  echo "# containerd handler, config version 2"
  runsc_handler io.containerd.grpc.v1.cri
  echo "# containerd handler, config version 3"
  runsc_handler io.containerd.cri.v1.runtime
  echo "# /etc/containerd/runsc.toml (kubelet on the systemd cgroup driver)"
  runsc_toml true
  echo "# RuntimeClass"
  runtime_class
  exit 0
fi

# ---- 1. prerequisites ----
missing=()
hint() { # tool
  case "$1" in
    docker) echo "docker (https://docs.docker.com/get-docker/)" ;;
    kind) echo "kind v0.24 or later (https://kind.sigs.k8s.io/docs/user/quick-start/#installation)" ;;
    kubectl) echo "kubectl (https://kubernetes.io/docs/tasks/tools/)" ;;
    curl) echo "curl (your package manager: apt-get install curl, brew install curl)" ;;
    tar) echo "tar" ;;
    bzip2) echo "bzip2, which GNU tar calls to unpack the gVisor release (apt-get install bzip2)" ;;
    sha512) echo "sha512sum or shasum (coreutils, or perl's shasum)" ;;
  esac
}
for tool in docker kind kubectl curl tar; do
  command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
done
if command -v tar >/dev/null 2>&1 && tar --version 2>/dev/null | grep -q 'GNU tar' && ! command -v bzip2 >/dev/null 2>&1; then
  missing+=(bzip2)
fi
if command -v sha512sum >/dev/null 2>&1; then
  sha512_of() { sha512sum "$1" | awk '{print $1}'; }
elif command -v shasum >/dev/null 2>&1; then
  sha512_of() { shasum -a 512 "$1" | awk '{print $1}'; }
else
  missing+=(sha512)
fi
if [[ ${#missing[@]} -gt 0 ]]; then
  echo "cluster-up: missing prerequisites:" >&2
  for tool in "${missing[@]}"; do echo "  - $(hint "$tool")" >&2; done
  exit 1
fi
docker info >/dev/null 2>&1 || die "docker is installed but its daemon does not answer: start Docker (Docker Desktop, or: sudo systemctl start docker)"
kind_version="$(kind version 2>/dev/null | awk '{print $2}')"
case "$kind_version" in
  v0.[0-9].*|v0.1[0-9].*|v0.2[0-3].*)
    warn "kind $kind_version does not enforce NetworkPolicy (v0.24 does); the run's policies will be created but not enforced" ;;
esac

# ---- 2. the cluster ----
if kind get clusters 2>/dev/null | grep -qx "$NAME"; then
  log "kind cluster $NAME exists; reusing it"
else
  config="$(mktemp -t actorsim-kind.XXXXXX)"
  kind_config >"$config"
  create=(kind create cluster --name "$NAME" --config "$config" --wait 180s)
  [[ -n "$NODE_IMAGE" ]] && create+=(--image "$NODE_IMAGE")
  log "creating kind cluster $NAME with $NODES node(s)"
  "${create[@]}"
  rm -f "$config"
fi
nodes="$(kind get nodes --name "$NAME")"
[[ -n "$nodes" ]] || die "kind cluster $NAME has no nodes"

# ---- 3. gVisor on every node ----
cache_root="${XDG_CACHE_HOME:-$HOME/.cache}/actorsim/gvisor/$GVISOR_RELEASE"

fetch_gvisor() { # arch -> prints the folder holding runsc, the shim and gvisor-bin/
  local arch="$1" dir="$cache_root/$1" expected published actual base verified
  expected="${GVISOR_SHA512:-$(pinned_sha512 "$GVISOR_RELEASE" "$arch")}"
  [[ -n "$expected" ]] || die "no sha512 is pinned for gVisor $GVISOR_RELEASE on $arch; pass --gvisor-sha512 with the sha512 of its gvisor.tar.bz2 once you have checked it"
  if [[ -x "$dir/unpacked/runsc" && "$(cat "$dir/verified" 2>/dev/null)" == "$expected" ]]; then
    echo "$dir/unpacked"
    return
  fi
  mkdir -p "$dir"
  base="https://storage.googleapis.com/gvisor/releases/release/$GVISOR_RELEASE/$arch"
  log "downloading gVisor $GVISOR_RELEASE for $arch" >&2
  curl -fsSL --retry 3 -o "$dir/gvisor.tar.bz2" "$base/gvisor.tar.bz2" || die "downloading $base/gvisor.tar.bz2 failed"
  curl -fsSL --retry 3 -o "$dir/gvisor.tar.bz2.sha512" "$base/gvisor.tar.bz2.sha512" || die "downloading $base/gvisor.tar.bz2.sha512 failed"
  published="$(awk '{print $1; exit}' "$dir/gvisor.tar.bz2.sha512")"
  actual="$(sha512_of "$dir/gvisor.tar.bz2")"
  # Both must hold: the published sum guards the transfer, the pinned one a changed release.
  verified=1
  [[ "$actual" == "$published" ]] || verified=0
  [[ "$actual" == "$expected" ]] || verified=0
  if [[ "$verified" == 0 ]]; then
    rm -f "$dir/gvisor.tar.bz2" "$dir/gvisor.tar.bz2.sha512"
    die "gvisor.tar.bz2 for $arch failed its checksum: downloaded $actual, published $published, pinned $expected; nothing was installed"
  fi
  rm -rf "$dir/unpacked"
  mkdir -p "$dir/unpacked"
  tar -xjf "$dir/gvisor.tar.bz2" -C "$dir/unpacked"
  for f in runsc containerd-shim-runsc-v1; do
    [[ -f "$dir/unpacked/$f" ]] || die "gVisor $GVISOR_RELEASE ($arch) has no $f in gvisor.tar.bz2"
  done
  chmod 0755 "$dir/unpacked/runsc" "$dir/unpacked/containerd-shim-runsc-v1"
  echo "$expected" >"$dir/verified"
  echo "$dir/unpacked"
}

install_gvisor() { # node
  local node="$1" arch dir want have driver toml version plugin restart=0
  arch="$(docker exec "$node" uname -m)"
  dir="$(fetch_gvisor "$arch")"
  want="$(sha512_of "$dir/runsc")"
  have="$(docker exec "$node" sh -c 'sha512sum /usr/local/bin/runsc 2>/dev/null || true' | awk '{print $1}')"
  if [[ "$want" != "$have" ]]; then
    log "$node: installing runsc, containerd-shim-runsc-v1 and gvisor-bin/ ($GVISOR_RELEASE, $arch)"
    docker exec "$node" rm -rf /usr/local/bin/gvisor-bin
    docker cp "$dir/runsc" "$node:/usr/local/bin/runsc"
    docker cp "$dir/containerd-shim-runsc-v1" "$node:/usr/local/bin/containerd-shim-runsc-v1"
    # runsc starts its helpers (the Sentry among them) from gvisor-bin/ beside itself.
    if [[ -d "$dir/gvisor-bin" ]]; then
      docker cp "$dir/gvisor-bin" "$node:/usr/local/bin/gvisor-bin"
    fi
    docker exec "$node" sh -c 'chmod 0755 /usr/local/bin/runsc /usr/local/bin/containerd-shim-runsc-v1 && if [ -d /usr/local/bin/gvisor-bin ]; then chmod -R a+rX /usr/local/bin/gvisor-bin; fi'
    restart=1
  fi
  driver=false
  if docker exec "$node" grep -qs 'cgroupDriver: systemd' /var/lib/kubelet/config.yaml; then driver=true; fi
  toml="$(runsc_toml "$driver")"
  if [[ "$(docker exec "$node" cat /etc/containerd/runsc.toml 2>/dev/null || true)" != "$toml" ]]; then
    printf '%s\n' "$toml" | docker exec -i "$node" sh -c 'cat > /etc/containerd/runsc.toml'
    restart=1
  fi
  version="$(docker exec "$node" sed -n 's/^version *= *//p' /etc/containerd/config.toml | head -n 1)"
  case "$version" in
    2) plugin=io.containerd.grpc.v1.cri ;;
    3) plugin=io.containerd.cri.v1.runtime ;;
    *) die "$node: /etc/containerd/config.toml declares version \"$version\"; expected 2 or 3" ;;
  esac
  if ! docker exec "$node" grep -q 'containerd.runtimes.runsc]' /etc/containerd/config.toml; then
    log "$node: adding the runsc runtime handler to containerd (config version $version)"
    runsc_handler "$plugin" | docker exec -i "$node" sh -c 'printf "\n" >> /etc/containerd/config.toml && cat >> /etc/containerd/config.toml'
    restart=1
  fi
  if [[ "$restart" == 1 ]]; then
    docker exec "$node" systemctl restart containerd
    local i=0
    until docker exec "$node" crictl info >/dev/null 2>&1; do
      i=$((i + 1))
      [[ $i -lt 60 ]] || die "$node: containerd did not come back after its restart; see: docker exec $node journalctl -u containerd"
      sleep 1
    done
  fi
  case "$(docker exec "$node" containerd --version | awk '{print $3}')" in
    v2.0.[0-5]|2.0.[0-5])
      warn "$node runs containerd 2.0.0-2.0.5, which cannot start gVisor pods (google/gvisor#11319); use a newer kind, or --node-image with containerd 1.7 or 2.0.6+" ;;
  esac
}

for node in $nodes; do
  install_gvisor "$node"
done

# ---- 4. the RuntimeClass ----
kubectl --context "$CONTEXT" wait --for=condition=Ready nodes --all --timeout=180s >/dev/null
runtime_class | kubectl --context "$CONTEXT" apply -f - >/dev/null
log "RuntimeClass gvisor (handler runsc) in place"

# ---- 5. the image ----
if [[ "$BUILD_IMAGE" == 1 ]]; then
  scripts/build-image.sh --image "$IMAGE" --cluster "$NAME"

  # ---- 6. one pod under gVisor, from the image, as a check ----
  check=actorsim-gvisor-check
  kubectl --context "$CONTEXT" -n default delete pod "$check" --ignore-not-found --wait=true >/dev/null
  kubectl --context "$CONTEXT" -n default apply -f - >/dev/null <<EOF
apiVersion: v1
kind: Pod
metadata:
  name: $check
  labels:
    app.kubernetes.io/part-of: actorsim
spec:
  runtimeClassName: gvisor
  restartPolicy: Never
  automountServiceAccountToken: false
  securityContext:
    runAsNonRoot: true
    runAsUser: 1000
    seccompProfile: {type: RuntimeDefault}
  containers:
    - name: check
      image: $IMAGE
      imagePullPolicy: IfNotPresent
      command: ["node", "-e", "console.log('sandbox kernel ' + require('os').release())"]
      securityContext:
        allowPrivilegeEscalation: false
        readOnlyRootFilesystem: true
        capabilities: {drop: [ALL]}
EOF
  if ! kubectl --context "$CONTEXT" -n default wait --for=jsonpath='{.status.phase}'=Succeeded "pod/$check" --timeout=180s >/dev/null; then
    kubectl --context "$CONTEXT" -n default describe pod "$check" >&2 || true
    die "the gVisor check pod did not succeed (above: its description). See the node's containerd log: docker exec $NAME-control-plane journalctl -u containerd --no-pager | tail -50"
  fi
  sandbox="$(kubectl --context "$CONTEXT" -n default logs "$check")"
  kubectl --context "$CONTEXT" -n default delete pod "$check" --wait=false >/dev/null
  log "gVisor check passed: $sandbox (the nodes' kernel: $(docker exec "$(echo "$nodes" | head -n 1)" uname -r))"
fi

current="$(kubectl config current-context 2>/dev/null || true)"
log "cluster $NAME is ready (kubectl context $CONTEXT)."
if [[ "$current" != "$CONTEXT" ]]; then
  log "your current kubectl context is \"$current\": run kubectl config use-context $CONTEXT, or pass --context $CONTEXT to bench:cluster"
fi
log "next: npm run bench:cluster -- --backend k8s"
