#!/usr/bin/env bash
# ansible-test sanity on a copy of the collection's files at
# .cache/sanity/ansible_collections/gpt371/infra: ansible-test resolves symlinks, so the
# .collections link (which points back at the checkout) is not enough for it.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
DEST="$ROOT/.cache/sanity/ansible_collections/gpt371/infra"
rm -rf "$DEST" && mkdir -p "$DEST"
cd "$ROOT"
# Tracked and new (not ignored) files: what a commit would hold, less what galaxy.yml's
# build_ignore leaves out of the collection (the lab has its own venv and checks).
git ls-files -co --exclude-standard -z -- . ':!lab/' ':!bench/' ':!images/' \
  | rsync -a --from0 --files-from=- ./ "$DEST/"
# Dependencies the modules import (openstack.cloud, ...) beside the collection, from the bundle.
BUNDLE="$("$ROOT/.venv/bin/python" -c 'import ansible_collections, os; print([p for p in ansible_collections.__path__ if os.path.isdir(os.path.join(p, "openstack"))][0])')"
for dep in openstack/cloud community/docker community/postgresql amazon/aws; do
  mkdir -p "$(dirname "$DEST/../../$dep")"
  ln -sfn "$BUNDLE/$dep" "$DEST/../../$dep"
done
cd "$DEST"
# ansible-test lists files through git when the tree is a repository.
rm -rf .git && git init -q && git add -A
exec ansible-test sanity --python 3.12 --venv --color no "$@"
