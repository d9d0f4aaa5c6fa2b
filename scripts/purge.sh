#!/usr/bin/env bash
# `make purge`: undo what `make demo` / `make test` put outside the clone. README.md ("What the set-up touches
# outside the clone") lists the same paths as PURGE_PATHS; tests/unit/test_setup_footprint.py keeps them in step.
# Order: the lab down, the gpt371-* images, the Docker engine (only the one scripts/dockerd.sh started), the paths,
# then the apt packages (only with PURGE_APT=1).
#   PURGE_APT=1            also purge the apt packages that can go without taking another package with them
#   PURGE_DOCKER_DATA=1    also remove the engine's data (/var/lib/docker), only when this run stopped that engine
#   GPT371_PURGE_ROOT=DIR  prefix for the system paths (tests)
#   GPT371_PURGE_DRY_ENGINE=1   leave the lab, Docker and apt alone (tests)
# shellcheck disable=SC2016,SC2088  # '~' and '$USER' stay literal in the lists: expand() resolves them
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
PREFIX="${GPT371_PURGE_ROOT:-}"
DRY="${GPT371_PURGE_DRY_ENGINE:-}"
log() { printf '[purge] %s\n' "$*"; }
[[ -n "${HOME:-}" && "$HOME" != / ]] || { log "HOME is unset or /: refusing"; exit 1; }

# What the set-up writes outside the clone. '~' is $HOME (~/.docker: $DOCKER_CONFIG when set, as bootstrap.sh
# does), '$USER' the user running purge; system paths get GPT371_PURGE_ROOT in front.
PURGE_PATHS=(
  '/var/lib/docker'
  '/etc/docker/key.json'
  '/var/log/gpt371-dockerd.log'
  '/run/gpt371-dockerd.pid'
  '/var/lib/gpt371-lab'
  '/tmp/gpt371-*'
  '/tmp/pytest-of-$USER'
  '~/.docker/cli-plugins/docker-compose'
  '~/.cache/gpt371'
  '~/.cache/pip'
  '~/.ansible/test/cache'
  '~/.ansible/test/venv'
  '~/.ansible/tmp'
  '~/.ansible/cp'
  '~/.ansible/ansible-lint-mocks'
)
# The engine's own data: containers that are not the project's may live there.
ENGINE_DATA=('/var/lib/docker' '/etc/docker/key.json')
# Folders the tools make around those paths: removed only when that leaves them empty.
EMPTY_DIRS=('~/.docker/cli-plugins' '~/.docker' '~/.ansible/test' '~/.ansible/roles' '~/.ansible/collections'
            '~/.ansible')
# scripts/bootstrap.sh's APT_PACKAGES, then lab/services/prereqs.sh's.
PURGE_APT_PACKAGES=(docker.io debootstrap make git openssl curl ca-certificates openssh-client sshpass rsync
                    postgresql postgresql-client iproute2 chromium fonts-dejavu-core rabbitmq-server)
IMAGE_PREFIX=gpt371-
PIDFILE="$PREFIX/run/gpt371-dockerd.pid"
STOPPED_ENGINE=

# Same test as lab/lib.sh: the PID file's start time must match, or the PID now names another process.
start_time() { sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | awk '{print $20}'; }
our_engine_alive() {
  local pid started
  [[ -f "$PIDFILE" ]] || return 1
  read -r pid started <"$PIDFILE" || true
  [[ -n "$pid" && -n "$started" && "$(start_time "$pid")" == "$started" ]]
}

expand() {  # one PURGE_PATHS entry -> its path here
  local p="${1//\$USER/${USER:-$(id -un)}}"
  case "$p" in
    '~/.docker'*) printf '%s\n' "${DOCKER_CONFIG:-$HOME/.docker}${p#\~/.docker}" ;;
    '~/'*) printf '%s\n' "$HOME/${p#\~/}" ;;
    *) printf '%s\n' "$PREFIX$p" ;;
  esac
}

is_engine_data() { local d; for d in "${ENGINE_DATA[@]}"; do [[ "$1" == "$d" ]] && return 0; done; return 1; }

remove_images() {
  local ids id c
  ids="$(docker images --format '{{.Repository}} {{.ID}}' \
         | awk -v p="$IMAGE_PREFIX" 'index($1, p) == 1 {print $2}' | sort -u)"
  [[ -n "$ids" ]] || return 0
  # A container made from one of them (a test left behind) would keep it.
  for id in $ids; do
    for c in $(docker ps -aq --filter "ancestor=$id"); do docker rm -f -v "$c" >/dev/null || true; done
  done
  # shellcheck disable=SC2086  # ids are hex, one per word
  if docker rmi -f $ids >/dev/null; then log "removed images ${ids//$'\n'/ }"
  else log "WARNING: some $IMAGE_PREFIX* images stayed"; fi
}

stop_engine() {
  local pid
  if our_engine_alive; then
    read -r pid _ <"$PIDFILE"
    log "stopping the Docker engine scripts/dockerd.sh started (pid $pid)"
    kill -TERM "$pid" 2>/dev/null || true
    # dockerd stops its containers first (15 s each at most by default).
    for _ in $(seq 1 120); do our_engine_alive || break; sleep 0.5; done
    if our_engine_alive; then log "ERROR: the engine (pid $pid) still runs after 60 s: no path removed"; exit 1; fi
    STOPPED_ENGINE=1
  elif docker info >/dev/null 2>&1; then
    log "leaving the running Docker engine alone: the project did not start it"
  fi
}

remove_paths() {
  local entry path m matches
  for entry in "${PURGE_PATHS[@]}"; do
    if is_engine_data "$entry" && ! [[ -n "$STOPPED_ENGINE" && "${PURGE_DOCKER_DATA:-}" == 1 ]]; then
      [[ -e "$PREFIX$entry" ]] \
        && log "kept $PREFIX$entry (engine data: needs PURGE_DOCKER_DATA=1 and the project's engine stopped by this run)"
      continue
    fi
    # The PID file is the only record that the engine is the project's: kept while that engine runs.
    if [[ "$entry" == /run/gpt371-dockerd.pid ]] && our_engine_alive; then
      log "kept $PIDFILE (the engine it names still runs)"; continue
    fi
    path="$(expand "$entry")"
    # Glob entries expand here (compgen -G: no word splitting of a HOME with spaces).
    matches=("$path")
    if [[ "$path" == *'*'* ]]; then mapfile -t matches < <(compgen -G "$path" || true); fi
    for m in ${matches[@]+"${matches[@]}"}; do
      [[ -e "$m" || -L "$m" ]] || continue
      rm -rf --one-file-system -- "$m"
      log "removed $m"
    done
  done
  for entry in "${EMPTY_DIRS[@]}"; do
    path="$(expand "$entry")"
    [[ -d "$path" ]] && rmdir --ignore-fail-on-non-empty -- "$path"
  done
  return 0
}

purge_apt() {
  local p installed=() go=() kept=() extra
  for p in "${PURGE_APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" && installed+=("$p")
  done
  ((${#installed[@]})) || { log "apt: none of the packages is installed"; return 0; }
  # apt would also remove what depends on a package (much of the system on openssl): such a package stays.
  for p in "${installed[@]}"; do
    if extra="$(apt-get -s purge "$p" 2>/dev/null | awk '/^Purg /{print $2}' \
                | grep -vxF -f <(printf '%s\n' "${installed[@]}"))"; then
      kept+=("$p (would take ${extra//$'\n'/ })")
    elif apt-get -s purge "$p" >/dev/null 2>&1; then
      go+=("$p")
    else
      kept+=("$p (apt cannot remove it alone)")
    fi
  done
  if ((${#go[@]})); then
    DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq "${go[@]}" >/dev/null
    log "apt: purged ${go[*]} (what they pulled in: apt-get autoremove)"
  fi
  for p in ${kept[@]+"${kept[@]}"}; do log "apt: kept $p"; done
}

if [[ -z "$DRY" ]]; then
  if [[ -d "$ROOT/lab/.state" ]]; then bash "$ROOT/lab/lab.sh" down; fi
  if docker info >/dev/null 2>&1; then remove_images; fi
  stop_engine
fi
remove_paths
if [[ "${PURGE_APT:-}" == 1 ]]; then
  if [[ -n "$DRY" ]]; then log "apt: left alone (GPT371_PURGE_DRY_ENGINE)"; else purge_apt; fi
else
  log "apt packages left installed (PURGE_APT=1 purges them): ${PURGE_APT_PACKAGES[*]}"
fi
log "done; what remains in the clone goes with it (git clean -fdX removes it)"
