#!/usr/bin/env bash
# Build the reference-stack images offline, cached by tag (FORCE=1 rebuilds):
#   gpt371-ref-runtime:$REF_TAG  python3 on gpt371-base:bookworm (images/build.sh base-bookworm)
#   gpt371-ref-xpipe:$REF_TAG / gpt371-ref-api:$REF_TAG / gpt371-ref-agent:$REF_TAG
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
TAG="${REF_TAG:-0.1}"
BASE="${REF_BASE:-gpt371-base:bookworm}"
log() { printf '[ref-images] %s\n' "$*"; }
have() { [ -z "${FORCE:-}" ] && docker image inspect "$1" >/dev/null 2>&1; }
docker image inspect "$BASE" >/dev/null 2>&1 \
  || { echo "missing $BASE: run images/build.sh base-bookworm first" >&2; exit 1; }
build() {  # $1 = name, rest = build args
  local name="$1"; shift
  have "gpt371-ref-$name:$TAG" && return 0
  log "docker build gpt371-ref-$name:$TAG"
  docker build -q -t "gpt371-ref-$name:$TAG" --label org.gpt371.stack=reference "$@" "$HERE/images/$name" >/dev/null
}
build runtime --build-arg BASE="$BASE"
for svc in xpipe api agent; do build "$svc" --build-arg RUNTIME="gpt371-ref-runtime:$TAG"; done
log "ready: gpt371-ref-{runtime,xpipe,api,agent}:$TAG"
