#!/usr/bin/env bash
# Build the reference-stack images offline, cached by tag and by a digest of their sources (an image whose
# org.gpt371.src label differs from the sources is rebuilt; FORCE=1 rebuilds all):
#   gpt371-ref-runtime:$REF_TAG  python3 on gpt371-base:bookworm (images/build.sh base-bookworm)
#   gpt371-ref-xpipe:$REF_TAG / gpt371-ref-api:$REF_TAG / gpt371-ref-agent:$REF_TAG
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
TAG="${REF_TAG:-0.1}"
BASE="${REF_BASE:-gpt371-base:bookworm}"
log() { printf '[ref-images] %s\n' "$*"; }
src() {  # digest of an image's sources (its directory, and the runtime's for every image)
  (cd "$HERE/images" && find runtime "$1" -type f -print0 | sort -z | xargs -0 sha256sum) | sha256sum | cut -c1-16
}
have() {  # $1 = image, $2 = digest of its sources
  [ -z "${FORCE:-}" ] && [ "$(docker image inspect -f '{{ index .Config.Labels "org.gpt371.src" }}' "$1" 2>/dev/null)" = "$2" ]
}
docker image inspect "$BASE" >/dev/null 2>&1 \
  || { echo "missing $BASE: run images/build.sh base-bookworm first" >&2; exit 1; }
build() {  # $1 = name, rest = build args
  local name="$1"; shift
  local digest; digest="$(src "$name")"
  have "gpt371-ref-$name:$TAG" "$digest" && return 0
  log "docker build gpt371-ref-$name:$TAG (sources $digest)"
  docker build -q -t "gpt371-ref-$name:$TAG" --label org.gpt371.stack=reference --label "org.gpt371.src=$digest" \
    "$@" "$HERE/images/$name" >/dev/null
}
build runtime --build-arg BASE="$BASE"
for svc in xpipe api agent; do build "$svc" --build-arg RUNTIME="gpt371-ref-runtime:$TAG"; done
log "ready: gpt371-ref-{runtime,xpipe,api,agent}:$TAG"
