#!/usr/bin/env bash
# `make demo`: the main job on this machine.
#   GPT371_DEMO=lab (default): the lab cloud up in strict mode (fixed IPs unreachable from here, as on a real cloud;
#     LAB_STRICT=0 only for debugging), the reference stack's images built, then site.yml on the lab through the
#     bastion (core's floating IP), host keys pinned: provision, configure, deploy, verify; the report at the end.
#   GPT371_DEMO=local: verify.yml only, against real local services (no cloud; a quick look at the report).
# Extra arguments go to ansible-playbook (e.g. -e agent_count=5).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
export PATH="$ROOT/.venv/bin:$PATH" ANSIBLE_CONFIG="$ROOT/ansible.cfg"
case "${GPT371_DEMO:-lab}" in
  lab)
    LAB_STRICT="${LAB_STRICT:-1}" bash lab/lab.sh up
    bash examples/reference-stack/build.sh
    exec ansible-playbook site.yml "$@" ;;
  local)
    exec python scripts/demo_local.py ;;
  *) echo "GPT371_DEMO must be lab or local" >&2; exit 2 ;;
esac
