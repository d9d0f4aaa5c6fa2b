#!/usr/bin/env bash
# `make demo`: the main job on this machine.
#   GPT371_DEMO=local (default until site.yml is proven on the lab): verify.yml against real local services.
#   GPT371_DEMO=lab: the lab cloud up, then site.yml on it.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
export PATH="$ROOT/.venv/bin:$PATH" ANSIBLE_CONFIG="$ROOT/ansible.cfg"
case "${GPT371_DEMO:-local}" in
  lab)
    bash lab/lab.sh up
    exec ansible-playbook site.yml "$@" ;;
  local)
    exec python scripts/demo_local.py ;;
  *) echo "GPT371_DEMO must be lab or local" >&2; exit 2 ;;
esac
