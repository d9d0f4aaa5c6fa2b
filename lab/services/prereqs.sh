# What the lab needs before any service: its venv, RabbitMQ's package, a Docker engine and the node image.
NODE_IMAGE=gpt371-node:bookworm

venv_up() {
  local stamp="$STATE/done/venv-$(cat "$LAB/requirements.txt" "$LAB/pyproject.toml" | sha256sum | cut -c1-16)"
  [[ -f "$stamp" ]] && return 0
  log "building lab/.venv (first run: a few minutes)"
  if [[ ! -x "$VENV/bin/python3" ]]; then
    local py
    py="$(pyenv prefix 3.12 2>/dev/null)/bin/python3"
    [[ -x "$py" ]] || py="$(command -v python3.12)"
    "$py" -m venv "$VENV"
  fi
  { "$VENV/bin/pip" install -q -r "$LAB/requirements.txt" setuptools \
      && "$VENV/bin/pip" install -q --no-build-isolation --no-deps -e "$LAB"; } >>"$LOGS/pip.log" 2>&1 \
    || fail_with_log "pip install" "$LOGS/pip.log"
  touch "$stamp"
}

prereqs_up() {
  venv_up
  if [[ ! -x /usr/lib/rabbitmq/bin/rabbitmq-server ]]; then
    log "installing rabbitmq-server (Debian)"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq rabbitmq-server >>"$LOGS/apt.log" 2>&1 \
      || fail_with_log "apt-get install rabbitmq-server" "$LOGS/apt.log"
  fi
  docker info >/dev/null 2>&1 || bash "$LAB/../scripts/dockerd.sh" >>"$LOGS/dockerd.log" 2>&1 \
    || fail_with_log "docker engine" "$LOGS/dockerd.log"
  # bookworm for most servers; trixie for images that ask for it (pgvector is packaged there).
  bash "$LAB/../images/build.sh" node-bookworm node-trixie >>"$LOGS/image.log" 2>&1 \
    || fail_with_log "node image build" "$LOGS/image.log"
}
