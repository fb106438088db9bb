#!/usr/bin/env bash
# Starts a single-node Kubernetes cluster whose worker pods run under gVisor,
# as plain processes on this Linux machine: no Docker, no kind, no registry.
# For hosts where scripts/cluster-up.sh (kind) cannot run. It
#
#   1. checks the prerequisites (root, Go, containerd, runc, CNI plugins,
#      iptables, openssl, a static C toolchain, Node) and names every one missing;
#   2. builds, from the Go modules pinned in scripts/local-cluster/*/go.mod,
#      kube-apiserver, kube-controller-manager, kube-scheduler, kube-proxy,
#      kubelet and kubectl (k8s.io/kubernetes), etcd (go.etcd.io/etcd/server/v3),
#      runsc and containerd-shim-runsc-v1 (gvisor.dev/gvisor) and CoreDNS,
#      with the Go caches in .local-cluster/ so a second run builds nothing;
#   3. makes a CA and the components' certificates with openssl;
#   4. starts etcd, the control plane, CoreDNS, kube-proxy, containerd (runc,
#      and runsc as runtime handler `runsc`), the kubelet and a host-folder
#      volume provisioner, each with a pid file and a log in .local-cluster/state/;
#   5. creates RuntimeClass gvisor (handler runsc) and the default StorageClass;
#   6. builds the image actorsim:dev (this machine's Node and the project,
#      no registry) and a pause image, and imports both into containerd;
#   7. runs one pod under runsc and checks that its kernel is gVisor's;
#   8. writes the kubectl context actorsim-local and says what to run next.
#
# Idempotent: what runs is left running, what exists is reused. Stop it all
# with scripts/local-cluster-down.sh.
set -euo pipefail
# shellcheck source=scripts/local-cluster/common.sh
source "$(dirname "$0")/local-cluster/common.sh"
cd "$ROOT"

IMAGE=actorsim:dev
PAUSE_IMAGE=localhost/actorsim-pause:1
BUILD_IMAGE=1
CHECK=1
SET_CONTEXT=1

usage() {
  cat <<EOF
Usage: scripts/local-cluster-up.sh [options]
  --image IMAGE     image to build and import (default: $IMAGE)
  --skip-image      do not build or import the image (nor run the gVisor check pod)
  --skip-check      do not run the gVisor check pod
  --no-context      do not write context $LC_CONTEXT into ~/.kube/config
                    (use --kubeconfig $LC_STATE/admin.kubeconfig instead)
  -h, --help        this text
Build cache and state: $LC_DIR (set ACTORSIM_LOCAL_CLUSTER_DIR to move it).
EOF
}

log() { printf 'local-cluster-up: %s\n' "$*"; }
warn() { printf 'local-cluster-up: warning: %s\n' "$*" >&2; }
die() { printf 'local-cluster-up: %s\n' "$*" >&2; exit 1; }

while [[ $# -gt 0 ]]; do
  case "$1" in
    --image) IMAGE="${2:?--image needs a value}"; shift 2 ;;
    --skip-image) BUILD_IMAGE=0; shift ;;
    --skip-check) CHECK=0; shift ;;
    --no-context) SET_CONTEXT=0; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "local-cluster-up: unknown option $1" >&2; usage >&2; exit 2 ;;
  esac
done

T0=$SECONDS

# ---- 1. prerequisites ----
[[ "$(uname -s)" == Linux ]] || die "this script starts Kubernetes as Linux processes; on macOS use scripts/cluster-up.sh (kind)"
[[ "$(id -u)" == 0 ]] || die "run it as root: the kubelet, containerd and runsc need it"
export PATH="$LC_BIN:/usr/local/go/bin:/usr/sbin:/sbin:$PATH"
missing=()
hint() { # tool -> where to get it
  case "$1" in
    go) echo "go 1.26 or later (https://go.dev/dl/, installed in /usr/local/go/bin or on PATH)" ;;
    containerd|ctr) echo "$1 (apt-get install containerd)" ;;
    runc) echo "runc (apt-get install runc)" ;;
    cni) echo "the CNI plugins bridge, host-local, loopback, portmap in /usr/lib/cni (apt-get install containernetworking-plugins)" ;;
    iptables) echo "iptables (apt-get install iptables)" ;;
    conntrack) echo "conntrack, which kube-proxy calls (apt-get install conntrack)" ;;
    openssl) echo "openssl (apt-get install openssl)" ;;
    gcc) echo "gcc, to compile the pause binary (apt-get install gcc)" ;;
    libc.a) echo "a static C library, to link the pause binary statically (apt-get install libc6-dev)" ;;
    node) echo "Node.js 20 (the image is this machine's node binary and the project)" ;;
    node_modules) echo "the project's node_modules (npm ci)" ;;
    *) echo "$1 (apt-get install $1)" ;;
  esac
}
for tool in go containerd ctr runc iptables conntrack openssl gcc node ip mount tar sha256sum curl; do
  command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
done
CNI_BIN=/usr/lib/cni
for plugin in bridge host-local loopback portmap; do
  [[ -x "$CNI_BIN/$plugin" ]] || { missing+=(cni); break; }
done
if command -v gcc >/dev/null 2>&1 && ! gcc -print-file-name=libc.a | grep -q /; then missing+=(libc.a); fi
[[ -d "$ROOT/node_modules/tsx" ]] || missing+=(node_modules)
if [[ ${#missing[@]} -gt 0 ]]; then
  echo "local-cluster-up: missing prerequisites:" >&2
  for tool in "${missing[@]}"; do echo "  - $(hint "$tool")" >&2; done
  echo "  On Debian: apt-get install -y containerd runc containernetworking-plugins iptables conntrack openssl gcc libc6-dev curl" >&2
  exit 1
fi
[[ -d /sys/fs/cgroup/memory || -f /sys/fs/cgroup/cgroup.controllers ]] || die "no cgroup memory controller under /sys/fs/cgroup: the kubelet needs cgroups"
HOST_IP="$(lc_host_ip)"
[[ -n "$HOST_IP" ]] || die "cannot find this host's IPv4 address (ip -4 route get 1.1.1.1; hostname -I)"
NODE_NAME="$(lc_node_name)"
mkdir -p "$LC_BIN" "$LC_PIDS" "$LC_LOGS" "$LC_PKI" "$LC_KUBECONFIGS"

# ---- 2. binaries from pinned Go modules ----
export GOPATH="$LC_DIR/go" GOCACHE="$LC_DIR/gocache" GOMODCACHE="$LC_DIR/go/pkg/mod"
export GOFLAGS=-mod=mod CGO_ENABLED=0 GOTOOLCHAIN="${GOTOOLCHAIN:-auto}"
# module_version DIR MODULE: the version DIR's go.mod requires.
module_version() { awk -v m="$2" '$1 == m && $2 ~ /^v/ {print $2; exit} $1 == "require" && $2 == m {print $3; exit}' "scripts/local-cluster/$1/go.mod"; }
K8S_VERSION="$(module_version kubernetes k8s.io/kubernetes)"
[[ -n "$K8S_VERSION" ]] || die "scripts/local-cluster/kubernetes/go.mod does not require k8s.io/kubernetes"
K8S_MINOR="$(echo "$K8S_VERSION" | cut -d. -f2)"
K8S_LDFLAGS="-s -w"
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  K8S_LDFLAGS+=" -X $pkg.gitVersion=$K8S_VERSION -X $pkg.gitMajor=1 -X $pkg.gitMinor=$K8S_MINOR -X $pkg.gitTreeState=clean"
done

# build MODULE_DIR MODULE OUTPUT PACKAGE [LDFLAGS [MODFILE]]: go build, skipped when the
# binary was built from the same go.mod, go.sum, flags (and modfile).
build() {
  local dir="scripts/local-cluster/$1" module="$2" out="$LC_BIN/$3" pkg="$4" ldflags="${5:--s -w}" stamp want version
  stamp="$out.stamp"
  want="$(cat "$dir/go.mod" "$dir/go.sum" "${6:-/dev/null}" | sha256sum | awk '{print $1}') $(go env GOVERSION) $ldflags"
  if [[ -x "$out" && "$(cat "$stamp" 2>/dev/null)" == "$want" ]]; then return 0; fi
  version="$(module_version "$1" "$module")"
  log "building $3 from $module@$version (log: $LC_LOGS/build-$3.log)"
  local modfile=()
  [[ -n "${6:-}" ]] && modfile=(-modfile "$6")
  if ! (cd "$dir" && nice -n 19 go build -trimpath "${modfile[@]}" -ldflags "$ldflags" -o "$out" "$pkg") >"$LC_LOGS/build-$3.log" 2>&1; then
    tail -n 20 "$LC_LOGS/build-$3.log" >&2
    die "building $3 ($pkg) from $module@$version failed; the whole log: $LC_LOGS/build-$3.log"
  fi
  echo "$want" >"$stamp"
}
for cmd in kube-apiserver kube-controller-manager kube-scheduler kube-proxy kubelet kubectl; do
  build kubernetes k8s.io/kubernetes "$cmd" "k8s.io/kubernetes/cmd/$cmd" "$K8S_LDFLAGS"
done
build etcd go.etcd.io/etcd/server/v3 etcd go.etcd.io/etcd/server/v3
build gvisor gvisor.dev/gvisor runsc gvisor.dev/gvisor/runsc
# gVisor's shim sets its own oom_score_adj to -999 and gives up if it cannot; VMs like this one
# refuse a negative oom_score_adj even to root ("failed to set OOM Score on shim: ... permission
# denied"). The shim is built from a copy of the pinned module with that one constant made 0,
# containerd's own (go build -modfile with a replace to the copy; Go refuses overlays of the module
# cache): the shim is then not shielded from the OOM killer. Its sandboxes are unaffected.
GVISOR_VERSION="$(module_version gvisor gvisor.dev/gvisor)"
shim_src="$LC_DIR/src/gvisor@$GVISOR_VERSION"
if [[ ! -f "$shim_src/.patched" ]]; then
  (cd scripts/local-cluster/gvisor && go mod download gvisor.dev/gvisor) || die "downloading gvisor.dev/gvisor@$GVISOR_VERSION failed"
  rm -rf "$shim_src" && mkdir -p "$LC_DIR/src"
  cp -r "$GOMODCACHE/gvisor.dev/gvisor@$GVISOR_VERSION" "$shim_src" && chmod -R u+w "$shim_src"
  sed -i 's/^\(\s*oomScoreMax\s*=\s*\)-999$/\10/' "$shim_src/pkg/shim/v1/manager.go"
  grep -Eq '^\s*oomScoreMax\s*=\s*0$' "$shim_src/pkg/shim/v1/manager.go" || die "gvisor.dev/gvisor@$GVISOR_VERSION: pkg/shim/v1/manager.go no longer has oomScoreMax = -999; look at the shim's OOM score handling again"
  touch "$shim_src/.patched"
fi
cp scripts/local-cluster/gvisor/go.sum "$LC_DIR/src/shim.sum"
{ cat scripts/local-cluster/gvisor/go.mod; printf '\nreplace gvisor.dev/gvisor => %s\n' "$shim_src"; } >"$LC_DIR/src/shim.mod"
build gvisor gvisor.dev/gvisor containerd-shim-runsc-v1 gvisor.dev/gvisor/shim "-s -w" "$LC_DIR/src/shim.mod"
build coredns github.com/coredns/coredns coredns .
log "binaries ready in $LC_BIN ($((SECONDS - T0)) s so far)"

# ---- 3. certificates ----
# One CA signs everything: serving certificates for the API server, client
# certificates whose CN/O are the identities RBAC knows (system:masters for
# the admin, system:node:<node> in system:nodes for the kubelet, ...).
cert() { # name CN O SAN-or-empty
  local name="$1" cn="$2" org="$3" san="$4" subj ext
  [[ -f "$LC_PKI/$name.crt" ]] && return 0
  subj="/CN=$cn"
  [[ -n "$org" ]] && subj="/O=$org$subj"
  ext="basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth,clientAuth"
  [[ -n "$san" ]] && ext+=$'\n'"subjectAltName=$san"
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj "$subj" \
    -keyout "$LC_PKI/$name.key" -out "$LC_PKI/$name.csr" 2>/dev/null
  openssl x509 -req -in "$LC_PKI/$name.csr" -CA "$LC_PKI/ca.crt" -CAkey "$LC_PKI/ca.key" -CAcreateserial \
    -days 365 -extfile <(printf '%s\n' "$ext") -out "$LC_PKI/$name.crt" 2>/dev/null
  rm -f "$LC_PKI/$name.csr"
}
if [[ ! -f "$LC_PKI/ca.crt" ]]; then
  log "making the CA and certificates in $LC_PKI"
  openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 3650 \
    -subj "/CN=actorsim-local-ca" -keyout "$LC_PKI/ca.key" -out "$LC_PKI/ca.crt" 2>/dev/null
fi
cert apiserver kube-apiserver "" "IP:127.0.0.1,IP:$HOST_IP,IP:$LC_KUBERNETES_SERVICE_IP,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local"
cert apiserver-kubelet-client kube-apiserver-kubelet-client system:masters ""
cert admin actorsim-admin system:masters ""
cert controller-manager system:kube-controller-manager "" ""
cert scheduler system:kube-scheduler "" ""
cert kube-proxy system:kube-proxy "" ""
cert kubelet "system:node:$NODE_NAME" system:nodes ""
cert coredns actorsim:coredns "" ""
# The kubelet's serving certificate, signed by the cluster CA (not self-signed) so that pods can
# verify it: the bench driver reads pod memory from the kubelet's Summary API (real/k8s/pod-memory.ts).
cert kubelet-serving "system:node:$NODE_NAME" system:nodes "IP:$HOST_IP,DNS:$NODE_NAME"
# Service account tokens are signed with their own key pair.
if [[ ! -f "$LC_PKI/sa.key" ]]; then
  openssl genrsa -out "$LC_PKI/sa.key" 2048 2>/dev/null
  openssl rsa -in "$LC_PKI/sa.key" -pubout -out "$LC_PKI/sa.pub" 2>/dev/null
fi
chmod 0600 "$LC_PKI"/*.key

kubeconfig() { # name cert -> a kubeconfig for that identity
  local file="$LC_KUBECONFIGS/$1.kubeconfig"
  [[ -f "$file" ]] && return 0
  KUBECONFIG="$file" kubectl config set-cluster "$LC_CONTEXT" --server="https://$HOST_IP:$LC_APISERVER_PORT" --certificate-authority="$LC_PKI/ca.crt" --embed-certs=true >/dev/null
  KUBECONFIG="$file" kubectl config set-credentials "$1" --client-certificate="$LC_PKI/$2.crt" --client-key="$LC_PKI/$2.key" --embed-certs=true >/dev/null
  KUBECONFIG="$file" kubectl config set-context "$LC_CONTEXT" --cluster="$LC_CONTEXT" --user="$1" >/dev/null
  KUBECONFIG="$file" kubectl config use-context "$LC_CONTEXT" >/dev/null
}
for id in admin controller-manager scheduler kube-proxy kubelet coredns; do kubeconfig "$id" "$id"; done
ADMIN="$LC_KUBECONFIGS/admin.kubeconfig"
cp "$ADMIN" "$LC_STATE/admin.kubeconfig"
k() { kubectl --kubeconfig "$ADMIN" "$@"; }

# ---- 4. processes ----
# start NAME COMMAND...: runs it in its own session (so Ctrl-C here does not
# stop it), logging to logs/NAME.log, its pid in pids/NAME.pid; skipped if it runs.
start() {
  local name="$1"; shift
  if [[ -n "$(lc_pid "$name")" ]]; then return 0; fi
  log "starting $name (log: $LC_LOGS/$name.log)"
  setsid nohup "$@" >>"$LC_LOGS/$name.log" 2>&1 </dev/null &
  echo $! >"$LC_PIDS/$name.pid"
}
# wait_for NAME SECONDS COMMAND...: until COMMAND succeeds, or die naming the log.
wait_for() {
  local name="$1" seconds="$2" i=0; shift 2
  until "$@" >/dev/null 2>&1; do
    i=$((i + 1))
    if [[ -z "$(lc_pid "$name")" ]]; then
      tail -n 15 "$LC_LOGS/$name.log" >&2 || true
      die "$name exited; its log (last lines above): $LC_LOGS/$name.log"
    fi
    [[ $i -lt $((seconds * 2)) ]] || die "$name is not ready after $seconds s; see $LC_LOGS/$name.log"
    sleep 0.5
  done
}
port_free() { # port: fails, naming the holder, if something that is not ours listens
  local holder
  holder="$(ss -Hltnp "sport = :$1" 2>/dev/null | head -n 1)"
  [[ -z "$holder" ]] || die "port $1 is in use by another process ($holder): stop it, or run local-cluster-down.sh if it is a cluster left from before"
}

sysctl -qw net.ipv4.ip_forward=1
if [[ -e /proc/sys/net/bridge/bridge-nf-call-iptables ]]; then
  # Pod-to-Service traffic that kube-proxy sends back into the same bridge must pass iptables.
  sysctl -qw net.bridge.bridge-nf-call-iptables=1
else
  warn "br_netfilter is not loaded (modprobe br_netfilter): pods may not reach a Service whose pod is on the same bridge"
fi

# etcd: plain HTTP on loopback only, as hack/local-up-cluster.sh runs it.
if [[ -z "$(lc_pid etcd)" ]]; then port_free "$LC_ETCD_PORT"; fi
start etcd "$LC_BIN/etcd" --name actorsim-local --data-dir "$LC_STATE/etcd" \
  --listen-client-urls "http://127.0.0.1:$LC_ETCD_PORT" --advertise-client-urls "http://127.0.0.1:$LC_ETCD_PORT" \
  --listen-peer-urls http://127.0.0.1:12380 --initial-advertise-peer-urls http://127.0.0.1:12380 \
  --initial-cluster actorsim-local=http://127.0.0.1:12380 --quota-backend-bytes 2147483648 --log-level warn
wait_for etcd 60 curl -fsS "http://127.0.0.1:$LC_ETCD_PORT/health"

if [[ -z "$(lc_pid kube-apiserver)" ]]; then port_free "$LC_APISERVER_PORT"; fi
# Pod Security admission is on by default; the run's namespace asks for `restricted` through its labels.
start kube-apiserver "$LC_BIN/kube-apiserver" \
  --etcd-servers "http://127.0.0.1:$LC_ETCD_PORT" \
  --bind-address 0.0.0.0 --secure-port "$LC_APISERVER_PORT" --advertise-address "$HOST_IP" \
  --tls-cert-file "$LC_PKI/apiserver.crt" --tls-private-key-file "$LC_PKI/apiserver.key" \
  --client-ca-file "$LC_PKI/ca.crt" \
  --kubelet-client-certificate "$LC_PKI/apiserver-kubelet-client.crt" --kubelet-client-key "$LC_PKI/apiserver-kubelet-client.key" \
  --service-account-key-file "$LC_PKI/sa.pub" --service-account-signing-key-file "$LC_PKI/sa.key" \
  --service-account-issuer https://kubernetes.default.svc.cluster.local \
  --service-cluster-ip-range "$LC_SERVICE_CIDR" \
  --authorization-mode Node,RBAC --enable-admission-plugins NodeRestriction \
  --allow-privileged=true --profiling=false --v=1
wait_for kube-apiserver 120 k get --raw /readyz

start kube-controller-manager "$LC_BIN/kube-controller-manager" \
  --kubeconfig "$LC_KUBECONFIGS/controller-manager.kubeconfig" \
  --authentication-kubeconfig "$LC_KUBECONFIGS/controller-manager.kubeconfig" \
  --authorization-kubeconfig "$LC_KUBECONFIGS/controller-manager.kubeconfig" \
  --service-account-private-key-file "$LC_PKI/sa.key" --root-ca-file "$LC_PKI/ca.crt" \
  --cluster-signing-cert-file "$LC_PKI/ca.crt" --cluster-signing-key-file "$LC_PKI/ca.key" \
  --use-service-account-credentials=true --leader-elect=false --bind-address 127.0.0.1 \
  --service-cluster-ip-range "$LC_SERVICE_CIDR" --profiling=false --v=1
start kube-scheduler "$LC_BIN/kube-scheduler" \
  --kubeconfig "$LC_KUBECONFIGS/scheduler.kubeconfig" \
  --authentication-kubeconfig "$LC_KUBECONFIGS/scheduler.kubeconfig" \
  --authorization-kubeconfig "$LC_KUBECONFIGS/scheduler.kubeconfig" \
  --leader-elect=false --bind-address 127.0.0.1 --profiling=false --v=1

# CoreDNS reads Services and EndpointSlices: the same ClusterRole kubeadm gives it.
k apply -f - >/dev/null <<'EOF'
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: "actorsim:coredns"}
rules:
  - apiGroups: [""]
    resources: [endpoints, services, pods, namespaces]
    verbs: [list, watch]
  - apiGroups: [discovery.k8s.io]
    resources: [endpointslices]
    verbs: [list, watch]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: "actorsim:coredns"}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: "actorsim:coredns"}
subjects: [{apiGroup: rbac.authorization.k8s.io, kind: User, name: "actorsim:coredns"}]
---
# Every service account may read the kubelet's stats (pods' memory, read-only): a run's driver
# measures density from its worker pods' cgroups. A local, single-user cluster's trade-off.
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: "actorsim:node-stats"}
rules:
  - apiGroups: [""]
    resources: [nodes/stats]
    verbs: [get]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: "actorsim:node-stats"}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: "actorsim:node-stats"}
subjects: [{apiGroup: rbac.authorization.k8s.io, kind: Group, name: "system:serviceaccounts"}]
EOF
# Cluster DNS on the host's address (pods reach it through their default
# route): the kubelet gives pods this nameserver and the cluster.local search path.
cat >"$LC_STATE/Corefile" <<EOF
.:53 {
    bind $HOST_IP
    errors
    kubernetes cluster.local in-addr.arpa ip6.arpa {
        kubeconfig $LC_KUBECONFIGS/coredns.kubeconfig $LC_CONTEXT
        pods insecure
        fallthrough in-addr.arpa ip6.arpa
    }
    forward . /etc/resolv.conf
    cache 30
}
EOF
start coredns "$LC_BIN/coredns" -conf "$LC_STATE/Corefile"

start kube-proxy "$LC_BIN/kube-proxy" --kubeconfig "$LC_KUBECONFIGS/kube-proxy.kubeconfig" \
  --hostname-override "$NODE_NAME" --cluster-cidr "$LC_POD_CIDR" --proxy-mode iptables \
  --conntrack-max-per-core 0 --metrics-bind-address 127.0.0.1:10249 --healthz-bind-address 127.0.0.1:10256 --v=1

# containerd, with its own root, state and socket under the state folder so it
# never meets a system containerd. CRI: runc by default, runsc as handler
# `runsc` through gVisor's own shim (runsc under the runc shim hangs in
# StartContainer); restrict_oom_score_adj because this kind of VM refuses a
# negative oom_score_adj even to root.
mkdir -p "$LC_STATE/containerd" "$LC_STATE/cni/net.d" "$LC_RUNSC_ROOT" "$LC_STATE/volumes"
# oci-seccomp stays off: with it, runsc applies the pod's RuntimeDefault profile (containerd's)
# inside the sandbox, and Node.js dies at start ("uv_thread_create" fails: no thread can be
# created). The pods still ask for RuntimeDefault, as the restricted level wants; the Sentry
# runs under gVisor's own seccomp filter either way.
cat >"$LC_STATE/containerd/runsc.toml" <<EOF
binary_name = "$LC_BIN/runsc"
root = "$LC_RUNSC_ROOT"
[runsc_config]
  systemd-cgroup = "false"
  oci-seccomp = "false"
  debug-log = "$LC_LOGS/runsc/"
EOF
mkdir -p "$LC_LOGS/runsc"
cat >"$LC_STATE/containerd/config.toml" <<EOF
version = 2
root = "$LC_STATE/containerd/root"
state = "$LC_STATE/containerd/state"
[grpc]
  address = "$LC_CONTAINERD_SOCK"
[ttrpc]
  address = "$LC_CONTAINERD_SOCK.ttrpc"
[debug]
  address = "$LC_CONTAINERD_SOCK.debug"
[metrics]
  address = ""
[plugins."io.containerd.internal.v1.opt"]
  path = "$LC_STATE/containerd/opt"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "$PAUSE_IMAGE"
  restrict_oom_score_adj = true
  enable_selinux = false
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runsc]
      runtime_type = "io.containerd.runsc.v1"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runsc.options]
        TypeUrl = "io.containerd.runsc.v1.options"
        ConfigPath = "$LC_STATE/containerd/runsc.toml"
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "$CNI_BIN"
    conf_dir = "$LC_STATE/cni/net.d"
EOF
# The bridge CNI: every pod on cni0, masqueraded when it leaves the pod range.
# It does not enforce NetworkPolicy (no CNI here does): the objects are accepted, not applied.
cat >"$LC_STATE/cni/net.d/10-actorsim.conflist" <<EOF
{
  "cniVersion": "0.4.0",
  "name": "actorsim",
  "plugins": [
    {
      "type": "bridge", "bridge": "cni0", "isGateway": true, "ipMasq": true, "hairpinMode": true,
      "ipam": { "type": "host-local", "ranges": [[{ "subnet": "$LC_POD_CIDR" }]], "routes": [{ "dst": "0.0.0.0/0" }], "dataDir": "$LC_STATE/cni/ipam" }
    },
    { "type": "portmap", "capabilities": { "portMappings": true } }
  ]
}
EOF
# gVisor's current shim answers containerd with the bootstrap protocol of containerd 1.7 and later
# (JSON); containerd 1.6 (bookworm's) fails with "dial unix {"version":2,...}: invalid argument".
# With a 1.6, trixie's containerd .deb is fetched with a private apt source list (the system's apt
# configuration is not touched) and unpacked into the build folder.
CONTAINERD=containerd
if [[ "$(containerd --version | awk '{print $3}')" =~ ^v?1\.[0-6]\. ]]; then
  CONTAINERD="$LC_DIR/debian/containerd/usr/bin/containerd"
  if [[ ! -x "$CONTAINERD" ]]; then
    log "containerd $(containerd --version | awk '{print $3}') is too old for gVisor's shim: fetching Debian trixie's containerd"
    apt_dir="$LC_DIR/debian/apt"
    mkdir -p "$apt_dir/lists/partial" "$apt_dir/archives/partial"
    echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian trixie main" >"$apt_dir/sources.list"
    apt_opts=(-o "Dir::Etc::SourceList=$apt_dir/sources.list" -o Dir::Etc::SourceParts=/dev/null -o "Dir::State::Lists=$apt_dir/lists" -o "Dir::Cache::Archives=$apt_dir/archives" -o APT::Sandbox::User=root)
    apt-get "${apt_opts[@]}" update -qq >"$LC_LOGS/apt-trixie.log" 2>&1 || die "apt-get update with Debian trixie's source failed; see $LC_LOGS/apt-trixie.log"
    (cd "$apt_dir" && apt-get "${apt_opts[@]}" download containerd >>"$LC_LOGS/apt-trixie.log" 2>&1) || die "apt-get download containerd (trixie) failed; see $LC_LOGS/apt-trixie.log"
    dpkg-deb -x "$(find "$apt_dir" -maxdepth 1 -name "containerd_*.deb" | head -n 1)" "$LC_DIR/debian/containerd"
  fi
fi
# containerd finds containerd-shim-runsc-v1 on its PATH.
start containerd env PATH="$PATH" "$CONTAINERD" --config "$LC_STATE/containerd/config.toml"
wait_for containerd 60 ctr --address "$LC_CONTAINERD_SOCK" version
lctr() { ctr --address "$LC_CONTAINERD_SOCK" -n k8s.io "$@"; }

# A docker-archive with one layer, from a root filesystem folder: what
# `ctr images import` takes, with no registry and no image builder.
docker_archive() { # rootfs tag out.tar cmd-json user workdir
  local rootfs="$1" tag="$2" out="$3" cmd="$4" user="$5" workdir="$6" work layer_sha config_sha
  work="$(mktemp -d "$LC_STATE/image.XXXXXX")"
  tar --numeric-owner --owner=0 --group=0 --sort=name --mtime=@0 -C "$rootfs" -cf "$work/layer.tar" .
  layer_sha="$(sha256sum "$work/layer.tar" | awk '{print $1}')"
  mkdir -p "$work/$layer_sha"
  mv "$work/layer.tar" "$work/$layer_sha/layer.tar"
  printf '{"architecture":"amd64","os":"linux","config":{"Cmd":%s,"User":"%s","WorkingDir":"%s","Env":["PATH=/usr/local/bin:/usr/bin:/bin"]},"rootfs":{"type":"layers","diff_ids":["sha256:%s"]},"history":[{"created_by":"scripts/local-cluster-up.sh"}]}' \
    "$cmd" "$user" "$workdir" "$layer_sha" >"$work/config.json"
  config_sha="$(sha256sum "$work/config.json" | awk '{print $1}')"
  mv "$work/config.json" "$work/$config_sha.json"
  printf '[{"Config":"%s.json","RepoTags":["%s"],"Layers":["%s/layer.tar"]}]' "$config_sha" "$tag" "$layer_sha" >"$work/manifest.json"
  tar -C "$work" -cf "$out" manifest.json "$config_sha.json" "$layer_sha"
  rm -rf "$work"
}

# The pause image: a static pause binary, nothing else.
if ! lctr images ls -q | grep -qx "$PAUSE_IMAGE"; then
  log "building and importing the pause image $PAUSE_IMAGE"
  pause_root="$(mktemp -d "$LC_STATE/pause.XXXXXX")"
  gcc -static -O2 -o "$pause_root/pause" scripts/local-cluster/pause.c
  strip "$pause_root/pause" 2>/dev/null || true
  docker_archive "$pause_root" "$PAUSE_IMAGE" "$LC_STATE/pause.tar" '["/pause"]' "65535:65535" "/"
  lctr images import "$LC_STATE/pause.tar" >/dev/null
  rm -rf "$pause_root" "$LC_STATE/pause.tar"
fi

# The kubelet: cgroupfs (no systemd here), swap tolerated, webhook
# authentication and authorization against the API server, cluster DNS on the host.
mkdir -p "$LC_STATE/kubelet"
cat >"$LC_STATE/kubelet-config.yaml" <<EOF
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
cgroupDriver: cgroupfs
failSwapOn: false
containerRuntimeEndpoint: unix://$LC_CONTAINERD_SOCK
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: true}
  x509: {clientCAFile: "$LC_PKI/ca.crt"}
authorization: {mode: Webhook}
clusterDNS: ["$HOST_IP"]
clusterDomain: cluster.local
resolvConf: /etc/resolv.conf
tlsCertFile: "$LC_PKI/kubelet-serving.crt"
tlsPrivateKeyFile: "$LC_PKI/kubelet-serving.key"
serializeImagePulls: false
maxPods: 250
podPidsLimit: -1
evictionHard: {memory.available: "200Mi", nodefs.available: "5%", imagefs.available: "5%"}
imageGCHighThresholdPercent: 95
imageGCLowThresholdPercent: 90
EOF
start kubelet "$LC_BIN/kubelet" --config "$LC_STATE/kubelet-config.yaml" \
  --kubeconfig "$LC_KUBECONFIGS/kubelet.kubeconfig" --hostname-override "$NODE_NAME" --node-ip "$HOST_IP" \
  --root-dir "$LC_STATE/kubelet" --cert-dir "$LC_STATE/kubelet/pki" --v=1
wait_for kubelet 120 k get node "$NODE_NAME"
wait_for kubelet 120 k wait --for=condition=Ready "node/$NODE_NAME" --timeout=2s

# ---- 5. RuntimeClass, StorageClass, provisioner ----
k apply -f - >/dev/null <<'EOF'
apiVersion: node.k8s.io/v1
kind: RuntimeClass
metadata:
  name: gvisor
  labels: {app.kubernetes.io/part-of: actorsim}
handler: runsc
---
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata:
  name: local-path
  annotations: {storageclass.kubernetes.io/is-default-class: "true"}
provisioner: actorsim.local/hostpath
reclaimPolicy: Delete
volumeBindingMode: Immediate
EOF
start provisioner node --import tsx "$ROOT/scripts/local-cluster/provisioner.ts" "$ADMIN" "$LC_STATE/volumes" "$NODE_NAME"
log "control plane, node $NODE_NAME, RuntimeClass gvisor and StorageClass local-path ready ($((SECONDS - T0)) s so far)"

# ---- 6. the image ----
# This machine's node binary with the libraries it links, and the project's
# runtime files with its production dependencies: what real/k8s/Dockerfile
# puts in its image, without Docker. Rebuilt when any of it changes.
image_inputs() {
  command -v node
  git -C "$ROOT" ls-files -s package.json package-lock.json tsconfig.json cli core session scenarios reports real
  git -C "$ROOT" diff HEAD --stat -- package.json tsconfig.json cli core session scenarios reports real
}
if [[ "$BUILD_IMAGE" == 1 ]]; then
  want="$(image_inputs | sha256sum | awk '{print $1}') $(sha256sum "$(command -v node)" | awk '{print $1}')"
  ref="docker.io/library/$IMAGE"
  [[ "$IMAGE" == */* ]] && ref="$IMAGE"
  if [[ "$(cat "$LC_STATE/image.stamp" 2>/dev/null)" != "$want $IMAGE" ]] || ! lctr images ls -q | grep -qx "$ref"; then
    log "building the image $IMAGE from $(command -v node) ($(node --version)) and the project"
    rootfs="$(mktemp -d "$LC_STATE/rootfs.XXXXXX")"
    trap 'rm -rf "$rootfs"' EXIT
    mkdir -p "$rootfs/usr/bin" "$rootfs/etc" "$rootfs/tmp" "$rootfs/app/node_modules" "$rootfs/lib64"
    chmod 1777 "$rootfs/tmp"
    node_bin="$(readlink -f "$(command -v node)")"
    cp "$node_bin" "$rootfs/usr/bin/node"
    for lib in $(ldd "$node_bin" | awk '/=> \// {print $3} /^\t\/lib/ {print $1}'); do
      mkdir -p "$rootfs$(dirname "$lib")"
      cp -L "$lib" "$rootfs$lib"
    done
    printf 'root:x:0:0:root:/root:/bin/false\nnode:x:1000:1000:node:/home/node:/bin/false\n' >"$rootfs/etc/passwd"
    printf 'root:x:0:\nnode:x:1000:\n' >"$rootfs/etc/group"
    cp -r package.json package-lock.json tsconfig.json cli core session scenarios reports real sim "$rootfs/app/"
    # Production dependencies only, as `npm ci --omit=dev` would install them.
    # (npm ls exits non-zero over an extraneous package; its list is still the tree.)
    deps="$(npm --prefix "$ROOT" ls --omit=dev --parseable --all 2>/dev/null)" || true
    [[ -n "$deps" ]] || die "npm ls --omit=dev listed no dependencies: run npm ci"
    while read -r dep; do
      [[ "$dep" == */node_modules/* ]] || continue
      rel="node_modules/${dep#*/node_modules/}"
      mkdir -p "$rootfs/app/$(dirname "$rel")"
      [[ -e "$rootfs/app/$rel" ]] || cp -a "$dep" "$rootfs/app/$rel"
    done <<<"$deps"
    docker_archive "$rootfs" "$IMAGE" "$LC_STATE/image.tar" '["node","--import","tsx","real/worker/main.ts","--help"]' "1000:1000" "/app"
    lctr images import "$LC_STATE/image.tar" >/dev/null
    log "imported $IMAGE ($(du -m "$LC_STATE/image.tar" | awk '{print $1}') MiB archive)"
    rm -rf "$rootfs" "$LC_STATE/image.tar"
    echo "$want $IMAGE" >"$LC_STATE/image.stamp"
  else
    log "image $IMAGE is up to date"
  fi
  # A digest name beside the tag: the kubelet then lists the digest among the
  # node's images, and bench:cluster, calibrate and simulate --backend k8s run
  # every pod by it (cli/image-pin.ts), so one run never mixes two builds.
  digest="$(lctr images ls "name==$ref" | awk 'NR == 2 {print $3}')"
  [[ "$digest" == sha256:* ]] || die "containerd lists no digest for $ref after the import"
  lctr images tag --force "$ref" "${ref%:*}@$digest" >/dev/null
  # Digest names of earlier builds would keep their layers for ever: drop them.
  # (grep finds none on a first build and exits 1: under pipefail that must not stop up.)
  { lctr images ls -q | grep -F "${ref%:*}@sha256:" | grep -vxF "${ref%:*}@$digest" || true; } | while read -r old; do
    lctr images rm "$old" >/dev/null
  done
  log "image $IMAGE is $digest; runs name it as $IMAGE@$digest"
  # Runs pin the image by the digest the node's status lists, which the kubelet
  # refreshes only every few tens of seconds: until it lists this build, a run
  # would pin the previous one (seen: test:cluster ran the old build after a
  # rebuild). Wait for it, bounded.
  listed=0
  for _ in $(seq 90); do
    if k get node "$NODE_NAME" -o jsonpath='{.status.images[*].names}' 2>/dev/null | grep -qF "@$digest"; then listed=1; break; fi
    sleep 2
  done
  if [[ "$listed" == 1 ]]; then
    log "node $NODE_NAME lists $IMAGE@$digest"
  else
    log "warning: after 180 s node $NODE_NAME does not list $IMAGE@$digest yet; a run started now may pin an older build (pass --image $IMAGE@$digest)"
  fi

  # ---- 7. one pod under gVisor ----
  if [[ "$CHECK" == 1 ]]; then
    check=actorsim-gvisor-check
    k -n default delete pod "$check" --ignore-not-found --wait=true >/dev/null
    k -n default apply -f - >/dev/null <<EOF
apiVersion: v1
kind: Pod
metadata:
  name: $check
  labels: {app.kubernetes.io/part-of: actorsim}
spec:
  runtimeClassName: gvisor
  restartPolicy: Never
  automountServiceAccountToken: false
  securityContext: {runAsNonRoot: true, runAsUser: 1000, seccompProfile: {type: RuntimeDefault}}
  containers:
    - name: check
      image: $IMAGE
      imagePullPolicy: Never
      command: ["node", "-e", "const fs = require('fs'); console.log(fs.readFileSync('/proc/version', 'utf8').trim() + ' | pod IP ' + Object.values(require('os').networkInterfaces()).flat().filter(a => !a.internal && a.family === 'IPv4').map(a => a.address).join(','))"]
      securityContext: {allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: {drop: [ALL]}}
EOF
    if ! k -n default wait --for=jsonpath='{.status.phase}'=Succeeded "pod/$check" --timeout=180s >/dev/null; then
      k -n default describe pod "$check" >&2 || true
      die "the gVisor check pod did not succeed (above: its description); see $LC_LOGS/containerd.log and $LC_LOGS/runsc/"
    fi
    sandbox="$(k -n default logs "$check")"
    k -n default delete pod "$check" --wait=false >/dev/null
    case "$sandbox" in
      *gvisor*|*gVisor*) ;;
      *) die "the check pod ran, but not under gVisor: its /proc/version is \"$sandbox\"" ;;
    esac
    log "gVisor check passed: /proc/version in the pod: $sandbox (this host: $(uname -r))"
  fi
fi

# ---- 8. the kubectl context ----
if [[ "$SET_CONTEXT" == 1 ]]; then
  user_config="${KUBECONFIG:-$HOME/.kube/config}"
  user_config="${user_config%%:*}"
  mkdir -p "$(dirname "$user_config")"
  KUBECONFIG="$user_config" kubectl config set-cluster "$LC_CONTEXT" --server="https://$HOST_IP:$LC_APISERVER_PORT" --certificate-authority="$LC_PKI/ca.crt" --embed-certs=true >/dev/null
  KUBECONFIG="$user_config" kubectl config set-credentials "$LC_CONTEXT-admin" --client-certificate="$LC_PKI/admin.crt" --client-key="$LC_PKI/admin.key" --embed-certs=true >/dev/null
  KUBECONFIG="$user_config" kubectl config set-context "$LC_CONTEXT" --cluster="$LC_CONTEXT" --user="$LC_CONTEXT-admin" >/dev/null
  KUBECONFIG="$user_config" kubectl config use-context "$LC_CONTEXT" >/dev/null
  log "kubectl context $LC_CONTEXT written to $user_config and made current"
fi
log "cluster ready in $((SECONDS - T0)) s: Kubernetes $K8S_VERSION on node $NODE_NAME, kubectl: $LC_BIN/kubectl (or any kubectl) --context $LC_CONTEXT"
log "next: npm run test:cluster && npm run bench:cluster -- --backend k8s --context $LC_CONTEXT"
# small.yaml's dedicated-always-on asks for 20 workers of 500m: bench:cluster refuses it on a smaller node (exit 2) and says what fits.
if (( $(nproc) < 11 )); then
  log "  on this node's $(nproc) cpus small.yaml's dedicated-always-on (20 pods of 500m) fits only with --worker-cpu (bench:cluster refuses it otherwise, naming the largest value that fits), or skip it with --policies"
fi
log "stop it all: scripts/local-cluster-down.sh"
