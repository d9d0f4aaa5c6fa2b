#!/usr/bin/env bash
# The lab: a local OpenStack cloud (keystone, placement, nova, neutron, glance) whose servers
# are node containers. Usage: bash lab/lab.sh up|down|status
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$LAB/services/postgres.sh"
source "$LAB/services/rabbitmq.sh"
source "$LAB/services/openstack.sh"
source "$LAB/services/prereqs.sh"
source "$LAB/services/s3.sh"
source "$LAB/services/netd.sh"

ALL_DAEMONS="postgres epmd rabbitmq s3 $OS_DAEMONS_STOP netd"

load_secrets() {
  if [[ ! -f "$STATE/secrets.env" ]]; then
    umask 077
    printf 'LAB_PASS=%s\nLAB_ADMIN_PASS=%s\n' "$(openssl rand -hex 12)" "$(openssl rand -hex 12)" \
      >"$STATE/secrets.env"
  fi
  set -a; source "$STATE/secrets.env"; set +a
  # The application's secrets on the lab (a real deployment keeps them in ansible-vault or AWX):
  # read by inventories/local, stable across down/up.
  if [[ ! -f "$STATE/app-secrets.json" ]]; then
    (umask 077; printf '{"db_password": "%s", "xpipe_api_key": "%s"}\n' \
      "$(openssl rand -hex 16)" "$(openssl rand -hex 16)" >"$STATE/app-secrets.json")
  fi
}

# The delays are read by neutron (send_events_interval) and nova-compute (LAB_BOOT_DELAY) when they start: a
# change restarts those daemons only, so switching takes seconds, not a lab restart.
apply_delays() {
  local name want had
  for name in LAB_EVENT_DELAY LAB_BOOT_DELAY; do
    [[ "${!name}" =~ ^[0-9]+$ ]] || { log "$name must be whole seconds, not '${!name}'"; exit 2; }
  done
  export LAB_BOOT_DELAY
  want="event=$LAB_EVENT_DELAY boot=$LAB_BOOT_DELAY"
  had="$(cat "$STATE/delays" 2>/dev/null || echo 'event=2 boot=0')"
  [[ "$want" == "$had" ]] && return 0
  log "delays: $had -> $want (restarting neutron and nova-compute)"
  stop_daemon nova-compute; stop_daemon neutron-rpc; stop_daemon neutron-api
  echo "$want" >"$STATE/delays"
}

# nova-compute loads the Nova driver (lab/gpt371_lab/docker_driver.py) once, netd its rules' code (netd.py): `up`
# after one of them changed restarts that daemon only (the servers' containers stay), so a new driver hook (e.g.
# the console log) or a new rule is live at once.
apply_code() {
  local daemon="$1" file="$2" stamp="$3" want had
  want="$(sha256sum "$LAB/gpt371_lab/$file" | cut -c1-12)"
  had="$(cat "$STATE/$stamp" 2>/dev/null || true)"
  [[ "$want" == "$had" ]] && return 0
  if pid_alive "$daemon"; then
    log "$file changed ($had -> $want): restarting $daemon"
    stop_daemon "$daemon"
  fi
  echo "$want" >"$STATE/$stamp"
}

cmd_up() {
  local t0=$SECONDS
  mkdir -p "$STATE/done" "$RUN" "$LOGS"
  apply_delays
  apply_code nova-compute docker_driver.py driver
  apply_code netd netd.py netd-code
  load_secrets
  prereqs_up
  # The lab CA (key 0600 in $STATE, certificate $STATE/ca.pem for users): before the services that use it.
  python3 -m gpt371_lab.ca init --dir "$STATE" >/dev/null
  postgres_up
  rabbitmq_up
  s3_up
  os_setup
  os_up
  [[ -f "$STATE/ubuntu-20.04.raw" ]] || head -c 1048576 /dev/zero >"$STATE/ubuntu-20.04.raw"
  # Re-run (it only adds what is missing) whenever the set-up itself changes.
  once "cloud-setup-$(sha256sum "$LAB/gpt371_lab/setup_cloud.py" | cut -c1-12)" python3 -m gpt371_lab.setup_cloud "$STATE/clouds.yaml" "$STATE/ubuntu-20.04.raw"
  os_workers_up
  [[ $STARTED_ANY == 0 ]] || wait_compute
  netd_up
  log "lab up in $((SECONDS - t0)) s"
  cat <<EOT
The lab cloud is up. Use it with:
  export OS_CLIENT_CONFIG_FILE=$STATE/clouds.yaml
  export OS_CLOUD=gpt371-lab        # non-admin user of project gpt371 (admin: gpt371-lab-admin)
EOT
}

# nova-compute registers itself, the scheduler maps the host (discover_hosts_in_cells_interval):
# the lab is ready when a hypervisor shows up.
wait_compute() {
  local i
  for i in $(seq 1 60); do
    if OS_CLIENT_CONFIG_FILE="$STATE/clouds.yaml" python3 - <<'PY' 2>/dev/null
import openstack, sys
conn = openstack.connect(cloud='gpt371-lab-admin')
hv = [h for h in conn.compute.hypervisors() if h.status == 'enabled' and h.state == 'up']
mapped = any(s.binary == 'nova-compute' and s.state == 'up' for s in conn.compute.services())
sys.exit(0 if hv and mapped else 1)
PY
    then return 0; fi
    pid_alive nova-compute || fail_with_log "nova-compute (process exited)" "$LOGS/nova-compute.log"
    sleep 1
  done
  fail_with_log nova-compute "$LOGS/nova-compute.log"
}

cmd_down() {
  local d id
  netd_down
  for d in $OS_DAEMONS_STOP; do stop_daemon "$d"; done
  rabbitmq_down
  s3_down
  postgres_down
  if docker info >/dev/null 2>&1; then
    for id in $(docker ps -aq --filter label=gpt371-lab=server); do docker rm -f -v "$id" >/dev/null; done
    for id in $(docker network ls -q --filter label=gpt371-lab=network); do docker network rm "$id" >/dev/null; done
  fi
  log "lab down"
}

cmd_status() {
  local d rc=0
  for d in $ALL_DAEMONS; do
    if pid_alive "$d"; then printf '%-16s up (pid %s)\n' "$d" "$(daemon_pid "$d")"
    else printf '%-16s down\n' "$d"; rc=1; fi
  done
  if docker info >/dev/null 2>&1; then
    docker ps -a --filter label=gpt371-lab=server --format 'container {{.Names}} {{.Status}}'
  fi
  [[ -f "$STATE/clouds.yaml" ]] && echo "clouds.yaml: $STATE/clouds.yaml (OS_CLOUD=gpt371-lab)"
  return $rc
}

case "${1:-}" in
  up) cmd_up ;;
  down) cmd_down ;;
  status) cmd_status ;;
  *) echo "usage: $0 up|down|status" >&2; exit 2 ;;
esac
