#!/usr/bin/env bash
# Build the project's images without any registry, cached by tag:
#   gpt371-base:bookworm / gpt371-base:trixie   debootstrap minbase, imported
#   gpt371-node:bookworm / gpt371-node:trixie   sshd + python3 + sudo (lab nodes, Molecule)
#   gpt371-pgvector:17                           PostgreSQL 17 + pgvector (trixie)
#   gpt371-dbnode:trixie                         node-trixie with the database role's packages (tests)
#   gpt371-ee-base:trixie, gpt371-ee:0.1.0       the AWX execution environment (`ee`, not in the default set;
#                                                awx/build-ee.sh: ansible-builder, rebuilt when its context changes)
# Usage: images/build.sh [image ...]   (default: all). FORCE=1 rebuilds.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
# The host's Debian mirror, from one-line or deb822 sources; files may be missing (|| true).
MIRROR="${GPT371_DEBIAN_MIRROR:-$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources 2>/dev/null \
  | grep -oE 'https?://[^ ]+/debian/?( |$)' | grep -v security | head -n1 | tr -d ' ' || true)}"
MIRROR="${MIRROR:-http://deb.debian.org/debian}"
log() { printf '[images] %s\n' "$*"; }
have() { [ -z "${FORCE:-}" ] && docker image inspect "$1" >/dev/null 2>&1; }

base() {  # $1 = suite
  local tag="gpt371-base:$1" dir
  have "$tag" && return 0
  dir="$(mktemp -d /tmp/gpt371-rootfs.XXXXXX)"
  log "debootstrap $1 from $MIRROR"
  debootstrap --variant=minbase "$1" "$dir" "$MIRROR" >"$dir.log" 2>&1 \
    || { tail -n 20 "$dir.log" >&2; rm -rf "$dir"; return 1; }
  # Plain-HTTP sources inside images: HTTPS needs a CA bundle the minbase lacks.
  echo "deb $MIRROR $1 main" > "$dir/etc/apt/sources.list"
  rm -rf "$dir/var/cache/apt/archives/"*.deb "$dir/var/lib/apt/lists/"*
  tar -C "$dir" -c . | docker import -c 'CMD ["/bin/bash"]' - "$tag" >/dev/null
  rm -rf "$dir" "$dir.log"
  log "built $tag"
}

build() {  # $1 = tag, $2 = context dir, rest = docker build args
  local tag="$1" ctx="$2" tmp; shift 2
  have "$tag" && return 0
  log "docker build $tag"
  # A private copy of the context: the host CA goes in without touching the tree,
  # and concurrent builds cannot delete each other's files.
  tmp="$(mktemp -d /tmp/gpt371-ctx.XXXXXX)"
  cp -a "$ctx/." "$tmp/"
  cp /etc/ssl/certs/ca-certificates.crt "$tmp/host-ca.crt"
  docker build -q -t "$tag" "$@" "$tmp" >/dev/null || { rm -rf "$tmp"; return 1; }
  rm -rf "$tmp"
  log "built $tag"
}

want=("$@"); [ ${#want[@]} -eq 0 ] && want=(node-bookworm node-trixie pgvector dbnode)
for w in "${want[@]}"; do
  case "$w" in
    base-bookworm) base bookworm ;;
    base-trixie)   base trixie ;;
    node-bookworm) base bookworm; build gpt371-node:bookworm "$HERE/node" --build-arg SUITE=bookworm ;;
    node-trixie)   base trixie;   build gpt371-node:trixie "$HERE/node" --build-arg SUITE=trixie ;;
    pgvector)      base trixie;   build gpt371-pgvector:17 "$HERE/pgvector" ;;
    dbnode)        "$0" node-trixie; build gpt371-dbnode:trixie "$HERE/dbnode" ;;
    ee)            base trixie;   build gpt371-ee-base:trixie "$HERE/../awx/ee-base"; bash "$HERE/../awx/build-ee.sh" ;;
    *) echo "unknown image $w" >&2; exit 2 ;;
  esac
done
