#!/usr/bin/env bash
# Build the execution environment image (execution-environment.yml) offline: ansible-builder writes the
# context, plain `docker build` builds it (no buildx, no registry: the base is gpt371-ee-base:trixie).
# Cached by tag *and* content: the image carries the sha256 of its build context (definition, requirements,
# bindep, the collection's files) and of its base image in a label; when both match, nothing is built. A
# changed role or module rebuilds only the last layers (the collection is copied in after the packages).
# Run through `images/build.sh ee`, which builds the base images first. FORCE=1 rebuilds (NO_CACHE=1: no layer cache).
#   awx/build-ee.sh [tag]          (default: the tag in execution-environment.yml)
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BUILDER="${ANSIBLE_BUILDER:-$ROOT/.venv/bin/ansible-builder}"
[ -x "$BUILDER" ] || BUILDER="$(command -v ansible-builder)"
PY="$(dirname "$BUILDER")/python"
[ -x "$PY" ] || PY=python3
log() { printf '[images] %s\n' "$*"; }

TAG="${1:-$("$PY" -c 'import sys, yaml; print(yaml.safe_load(open(sys.argv[1]))["options"]["tags"][0])' \
  "$ROOT/execution-environment.yml")}"
BASE="$("$PY" -c 'import sys, yaml; print(yaml.safe_load(open(sys.argv[1]))["images"]["base_image"]["name"])' \
  "$ROOT/execution-environment.yml")"
base_id="$(docker image inspect -f '{{.Id}}' "$BASE")" \
  || { echo "base image $BASE missing: images/build.sh ee builds it" >&2; exit 1; }

ctx="$(mktemp -d /tmp/gpt371-ee-ctx.XXXXXX)"
trap 'rm -rf "$ctx"' EXIT
(cd "$ROOT" && "$BUILDER" create -f execution-environment.yml -c "$ctx" --output-filename Containerfile >/dev/null)
# Byte code and caches of the working tree are no part of the collection.
find "$ctx" \( -name __pycache__ -o -name .pytest_cache -o -name .molecule \) -prune -exec rm -rf {} +
find "$ctx" -name '*.pyc' -delete
sum="$(cd "$ctx" && { echo "$base_id"; find . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum; } \
  | sha256sum | cut -c1-64)"

if [ -z "${FORCE:-}" ] \
   && [ "$(docker image inspect -f '{{index .Config.Labels "gpt371.ee.context"}}' "$TAG" 2>/dev/null)" = "$sum" ]; then
  exit 0
fi
log "docker build $TAG (ansible-builder context ${sum:0:12})"
old_id="$(docker image inspect -f '{{.Id}}' "$TAG" 2>/dev/null || true)"
start=$SECONDS
out="$ctx.log"
if ! docker build ${NO_CACHE:+--no-cache} -f "$ctx/Containerfile" -t "$TAG" --label "gpt371.ee.context=$sum" "$ctx" \
     >"$out" 2>&1; then
  tail -n 40 "$out" >&2
  rm -f "$out"
  exit 1
fi
rm -f "$out"
# The image the tag leaves behind, by id (kept while a container uses it).
if [ -n "$old_id" ] && [ "$old_id" != "$(docker image inspect -f '{{.Id}}' "$TAG")" ]; then
  docker rmi "$old_id" >/dev/null 2>&1 || true
fi
log "built $TAG in $((SECONDS - start)) s"
