#!/usr/bin/env bash
# `make rehearse`: the README's first command as a newcomer runs it, on a machine that never ran it.
#   - a clone of REF (default HEAD) inside a 0700 directory (mktemp -d), like a clone under /root;
#   - an empty HOME: no ~/.cache, ~/.docker, ~/.ansible, no pip cache;
#   - a Docker engine of its own with an empty data root (no image cached), on its own socket and bridge;
#   - no /var/lib/gpt371-lab (an existing one is hidden under an empty tmpfs for the run).
# Everything runs in a private mount namespace, where the new engine's socket is bound over
# /var/run/docker.sock: the code under test (any commit, older ones too) sees only that engine.
# Prints the time of each step and leaves nothing behind (the log stays in .cache/rehearse/ of this checkout).
# Usage: scripts/rehearse.sh [REF]   REHEARSE_TEST=1 then tears the demo down and runs `make test` (~50 min more).
# Needs: root, the lab not running on this machine (same ports and subnets), iproute2, util-linux.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
REF="${1:-HEAD}"
BRIDGE=gpt371-rh0
BRIDGE_CIDR=10.213.213.1/24     # the rehearsal engine's default bridge; the lab's subnets are 10.10-10.20.x
VAR_ROOT=/var/lib/gpt371-lab
LOGDIR="$ROOT/.cache/rehearse"
log() { printf '[rehearse] %s\n' "$*" >&2; }

if [[ "${GPT371_REHEARSE_INNER:-}" != 1 ]]; then
  [[ $EUID == 0 ]] || { log "run as root (it starts a Docker engine and the lab)"; exit 2; }
  commit="$(git -C "$ROOT" rev-parse --verify "$REF^{commit}")" || { log "no commit $REF"; exit 2; }
  # The lab binds fixed ports on 127.0.0.1 and its tenant subnets: a running lab would collide.
  for port in 5000 5440 8774 9696 8333; do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      log "port $port is in use (a lab is running?): stop it first with 'make lab-down'"; exit 2
    fi
  done
  if docker info >/dev/null 2>&1 && [[ -n "$(docker network ls -q --filter label=gpt371-lab=network)" ]]; then
    log "the Docker engine holds lab networks: 'make lab-down' first (their subnets would collide)"; exit 2
  fi
  command -v dockerd >/dev/null || { apt-get update -qq && apt-get install -y -qq docker.io >/dev/null; }
  mkdir -p "$LOGDIR"
  LOG="$LOGDIR/$(date +%Y%m%dT%H%M%S)-${commit:0:10}.log"
  log "commit $commit; log: $LOG"
  set +e
  GPT371_REHEARSE_INNER=1 REHEARSE_COMMIT="$commit" REHEARSE_LOG="$LOG" \
    unshare --mount --propagation private bash "$0" "$REF" 2>&1 | tee -a "$LOG"
  rc=${PIPESTATUS[0]}
  set -e
  # Outside the namespace: what the run may have left on the host's own paths.
  ip link show "$BRIDGE" >/dev/null 2>&1 && ip link delete "$BRIDGE"
  [[ -f /var/run/docker.sock && ! -s /var/run/docker.sock ]] && rm -f /var/run/docker.sock
  exit "$rc"
fi

# ---------------------------------------------------------------- inside the mount namespace
D="$(mktemp -d /tmp/gpt371-rehearse.XXXXXX)"    # 0700: postgres cannot traverse it, as under /root
CLONE="$D/clone"
ENGINE_PID=""
created_var_root=0
declare -a STEPS=()

cleanup() {
  local rc=$?
  set +e
  log "cleaning up"
  if [[ -f "$CLONE/lab/lab.sh" ]]; then (cd "$CLONE" && HOME="$D/home" bash lab/lab.sh down) >/dev/null 2>&1; fi
  if [[ -n "$ENGINE_PID" ]]; then
    docker ps -aq | xargs -r docker rm -f -v >/dev/null 2>&1
    kill -TERM "$ENGINE_PID" 2>/dev/null
    for _ in $(seq 1 60); do kill -0 "$ENGINE_PID" 2>/dev/null || break; sleep 0.5; done
    kill -KILL "$ENGINE_PID" 2>/dev/null
  fi
  # Mounts under $D (the engine's, overlay layers) must go before the folder can.
  grep -o " $D[^ ]*" /proc/self/mounts | sort -r | xargs -r -n1 umount -l 2>/dev/null
  rm -rf "$D"
  ((created_var_root)) && rm -rf "$VAR_ROOT"
  print_steps
  log "left behind: $(leftovers)"
  exit "$rc"
}
trap cleanup EXIT

print_steps() {
  ((${#STEPS[@]})) || return 0
  printf '\n%-12s %8s  %s\n' STEP SECONDS RESULT
  printf '%s\n' "${STEPS[@]}"
}

leftovers() {
  local found=()
  [[ -e "$D" ]] && found+=("$D")
  ((created_var_root)) && [[ -e "$VAR_ROOT" ]] && found+=("$VAR_ROOT")
  echo "${found[*]:-nothing}"
}

# step NAME CMD...: runs CMD in the clone as the newcomer's shell would, records its time and result.
step() {
  local name="$1" t0=$SECONDS rc=0; shift
  log "step $name: $*"
  (cd "$CLONE" && "$@") || rc=$?
  STEPS+=("$(printf '%-12s %8d  %s' "$name" $((SECONDS - t0)) "$([[ $rc == 0 ]] && echo ok || echo "FAILED (rc $rc)")")")
  if [[ $rc != 0 ]]; then log "step $name failed (rc $rc): see the lines above"; exit "$rc"; fi
}

# A newcomer's environment: an empty HOME, no caches, nothing of ours in the environment.
mkdir -m 0700 "$D/home"
export HOME="$D/home"
unset DOCKER_HOST DOCKER_CONFIG XDG_CACHE_HOME PIP_CACHE_DIR VIRTUAL_ENV ANSIBLE_CONFIG OS_CLOUD \
      OS_CLIENT_CONFIG_FILE GPT371_VENV
export PATH="/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:$PYENV_ROOT/bin"

# No /var/lib/gpt371-lab: an existing one is hidden in this namespace only.
if [[ -e "$VAR_ROOT" ]]; then
  mount -t tmpfs -o mode=0755 gpt371-rehearse "$VAR_ROOT"
else
  created_var_root=1
fi

# The rehearsal's engine: empty data root, own exec root, containerd namespace and bridge; bound over the
# default socket in this namespace only.
ip link add "$BRIDGE" type bridge 2>/dev/null || true
ip addr replace "$BRIDGE_CIDR" dev "$BRIDGE"
ip link set "$BRIDGE" up
mkdir -p "$D/engine"
t0=$SECONDS
dockerd --host "unix://$D/engine/docker.sock" --data-root "$D/engine/data" --exec-root "$D/engine/exec" \
  --pidfile "$D/engine/docker.pid" --bridge "$BRIDGE" --containerd-namespace gpt371-rehearse \
  --containerd-plugins-namespace gpt371-rehearse-plugins >"$D/engine/dockerd.log" 2>&1 &
ENGINE_PID=$!
for i in $(seq 1 60); do
  [[ -S "$D/engine/docker.sock" ]] && DOCKER_HOST="unix://$D/engine/docker.sock" docker info >/dev/null 2>&1 && break
  [[ $i == 60 ]] && { tail -20 "$D/engine/dockerd.log" >&2; log "the rehearsal's engine did not start in 30 s"; exit 1; }
  sleep 0.5
done
# A bind needs a target: with no engine on the host, an empty file stands there (removed afterwards).
[[ -e /var/run/docker.sock ]] || : >/var/run/docker.sock
mount --bind "$D/engine/docker.sock" /var/run/docker.sock
[[ -z "$(docker images -q)" ]] || { log "the rehearsal's engine is not empty"; exit 1; }
STEPS+=("$(printf '%-12s %8d  %s' engine $((SECONDS - t0)) "ok (empty data root)")")

git clone -q "$ROOT" "$CLONE"
git -C "$CLONE" checkout -q "$REHEARSE_COMMIT"
log "clone: $CLONE ($(stat -c %a "$D") parent), HOME=$HOME, engine data root $D/engine/data"

# The README's commands, split at make's own prerequisites so that each part is timed.
step bootstrap make setup
step images make images
step lab make lab-up
step site.yml make demo
if [[ "${REHEARSE_TEST:-}" == 1 ]]; then
  # The README's second command, on the same fresh machine; the demo's servers go first, as CI has none.
  step teardown env ANSIBLE_CONFIG="$CLONE/ansible.cfg" .venv/bin/ansible-playbook playbooks/teardown.yml \
    -e teardown_confirm=gpt371-lab
  step test make test
fi
log "rehearsal passed at $REHEARSE_COMMIT"
