#!/usr/bin/env bash
# Builds the image of the k8s backend (worker, store and driver in one, from
# real/k8s/Dockerfile) and, with --cluster, loads it into a kind cluster's
# nodes. scripts/cluster-up.sh runs it; run it alone after changing the code.
#
#   scripts/build-image.sh [--image actorsim:dev] [--cluster actorsim | --no-load]
set -euo pipefail
cd "$(dirname "$0")/.."

IMAGE=actorsim:dev
CLUSTER=actorsim
LOAD=1

usage() {
  cat <<'EOF'
Usage: scripts/build-image.sh [options]
  --image IMAGE     tag to build (default: actorsim:dev, what bench:cluster --backend k8s runs)
  --cluster NAME    kind cluster to load the image into (default: actorsim)
  --no-load         build only
  -h, --help        this text
EOF
}

while [[ $# -gt 0 ]]; do
  case "$1" in
    --image) IMAGE="${2:?--image needs a value}"; shift 2 ;;
    --cluster) CLUSTER="${2:?--cluster needs a value}"; shift 2 ;;
    --no-load) LOAD=0; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "build-image: unknown option $1" >&2; usage >&2; exit 2 ;;
  esac
done

command -v docker >/dev/null 2>&1 || { echo "build-image: docker is not installed (https://docs.docker.com/get-docker/)" >&2; exit 1; }
docker info >/dev/null 2>&1 || { echo "build-image: docker is installed but its daemon does not answer: start Docker" >&2; exit 1; }

build_args=(-f real/k8s/Dockerfile -t "$IMAGE")
# With buildx, build one plain image: provenance attestations turn it into an
# index that `kind load` cannot always import.
if docker buildx version >/dev/null 2>&1; then
  build_args+=(--load --provenance=false)
fi
echo "build-image: building $IMAGE"
docker build "${build_args[@]}" .

if [[ "$LOAD" == 1 ]]; then
  command -v kind >/dev/null 2>&1 || { echo "build-image: kind is not installed (https://kind.sigs.k8s.io/docs/user/quick-start/#installation)" >&2; exit 1; }
  if ! kind get clusters 2>/dev/null | grep -qx "$CLUSTER"; then
    echo "build-image: no kind cluster named $CLUSTER: create it with scripts/cluster-up.sh, or pass --no-load" >&2
    exit 1
  fi
  echo "build-image: loading $IMAGE into kind cluster $CLUSTER"
  if ! kind load docker-image "$IMAGE" --name "$CLUSTER"; then
    # Docker's containerd image store can hand kind an image it fails to import; an archive always works.
    archive="$(mktemp -t actorsim-image.XXXXXX)"
    trap 'rm -f "$archive"' EXIT
    docker save "$IMAGE" -o "$archive"
    kind load image-archive "$archive" --name "$CLUSTER"
  fi
fi
echo "build-image: $IMAGE ready"
