#!/usr/bin/env bash
# Builds the container image the Prometheus projects' way: the static binary
# is built here, outside any container, with its version stamped in (the
# Makefile's -X flags, from VERSION and git); then it is copied, with CA
# certificates and the passwd/group entries of the unprivileged user, onto
# `scratch` by the Dockerfile. Nothing is downloaded: the certificates are
# the host's (Debian's ca-certificates), so the build works offline.
#
#   scripts/build-image.sh [-t TAG] [--oci-archive FILE] [--context DIR]
#
#   -t TAG               image name (default azure_ea_exporter:$VERSION)
#   --oci-archive FILE   also export the image as an OCI archive
#   --context DIR        stage the build context here and keep it (default: a
#                        temporary directory, removed afterwards)
#
# Environment:
#   BUILDER       buildah (default), docker or podman
#   GOARCH        target architecture (default: the host's)
#   VERSION REVISION BRANCH BUILD_USER BUILD_DATE   override the stamped fields
#   CA_BUNDLE     CA certificates to ship (default /etc/ssl/certs/ca-certificates.crt)
#   BUILDAH_ROOT BUILDAH_RUNROOT   buildah storage (default: its own); the
#                 storage driver is vfs and the isolation chroot, which need
#                 neither a daemon nor the network.
set -euo pipefail
cd "$(dirname "$0")/.."

tag="" archive="" context=""
while [ $# -gt 0 ]; do
  case "$1" in
    -t) tag=$2; shift 2 ;;
    --oci-archive) archive=$2; shift 2 ;;
    --context) context=$2; shift 2 ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "build-image.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done

PKG=github.com/prometheus/common/version
VERSION=${VERSION:-$(cat VERSION)}
REVISION=${REVISION:-$(git rev-parse --short HEAD 2>/dev/null || echo unknown)}
BRANCH=${BRANCH:-$(git rev-parse --abbrev-ref HEAD 2>/dev/null || echo unknown)}
BUILD_USER=${BUILD_USER:-$(id -un)@$(uname -n)}
BUILD_DATE=${BUILD_DATE:-$(date -u +%Y%m%d-%H:%M:%S)}
CREATED=$(date -u +%Y-%m-%dT%H:%M:%SZ)
GOARCH=${GOARCH:-$(go env GOARCH)}
CA_BUNDLE=${CA_BUNDLE:-/etc/ssl/certs/ca-certificates.crt}
BUILDER=${BUILDER:-buildah}
tag=${tag:-azure_ea_exporter:$VERSION}

if [ ! -s "$CA_BUNDLE" ]; then
  echo "build-image.sh: no CA certificates at $CA_BUNDLE (apt-get install ca-certificates)" >&2
  exit 1
fi

if [ -z "$context" ]; then
  context=$(mktemp -d)
  trap 'rm -rf "$context"' EXIT
fi
dir="$context/linux-$GOARCH"
mkdir -p "$dir/etc/ssl/certs"

# The binary, as `make build` stamps it.
CGO_ENABLED=0 GOOS=linux GOARCH=$GOARCH go build -trimpath -ldflags "-s -w \
  -X $PKG.Version=$VERSION \
  -X $PKG.Revision=$REVISION \
  -X $PKG.Branch=$BRANCH \
  -X $PKG.BuildUser=$BUILD_USER \
  -X $PKG.BuildDate=$BUILD_DATE" \
  -o "$dir/azure_ea_exporter" .

# What `scratch` lacks: CA certificates, and a name for the user (65532, as
# distroless' "nonroot").
cp "$CA_BUNDLE" "$dir/etc/ssl/certs/ca-certificates.crt"
printf 'root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n' > "$dir/etc/passwd"
printf 'root:x:0:\nnonroot:x:65532:\n' > "$dir/etc/group"
chmod 0644 "$dir/etc/passwd" "$dir/etc/group" "$dir/etc/ssl/certs/ca-certificates.crt"
chmod 0755 "$dir/azure_ea_exporter"

args=(--build-arg "ARCH=$GOARCH" --build-arg "VERSION=$VERSION" --build-arg "REVISION=$REVISION" --build-arg "CREATED=$CREATED"
  -f "$PWD/Dockerfile" -t "$tag")
case "$BUILDER" in
  buildah)
    storage=(--storage-driver vfs)
    [ -n "${BUILDAH_ROOT:-}" ] && storage+=(--root "$BUILDAH_ROOT")
    [ -n "${BUILDAH_RUNROOT:-}" ] && storage+=(--runroot "$BUILDAH_RUNROOT")
    buildah "${storage[@]}" bud --isolation chroot --pull=false --layers=false "${args[@]}" "$context"
    if [ -n "$archive" ]; then
      rm -f "$archive"
      buildah "${storage[@]}" push "$tag" "oci-archive:$archive:$tag"
    fi
    ;;
  docker|podman)
    "$BUILDER" build "${args[@]}" "$context"
    if [ -n "$archive" ]; then
      echo "build-image.sh: --oci-archive needs BUILDER=buildah" >&2
      exit 2
    fi
    ;;
  *) echo "build-image.sh: BUILDER must be buildah, docker or podman" >&2; exit 2 ;;
esac
echo "built $tag (version $VERSION, revision $REVISION)"
