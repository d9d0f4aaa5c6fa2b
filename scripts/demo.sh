#!/usr/bin/env bash
# `make demo`: the main job on this machine. With the lab in place: lab up, then site.yml on it.
# Without it (lab/lab.sh missing): verify.yml against real local services.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
export PATH="$ROOT/.venv/bin:$PATH" ANSIBLE_CONFIG="$ROOT/ansible.cfg"
if [ -x lab/lab.sh ] && [ -f site.yml ] && [ "${GPT371_DEMO:-lab}" = lab ]; then
  bash lab/lab.sh up
  exec ansible-playbook site.yml "$@"
fi
exec python scripts/demo_local.py
