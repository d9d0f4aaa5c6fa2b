# The lab's PostgreSQL cluster: 127.0.0.1:$PG_PORT, run as the postgres user.
# postgres must traverse every folder above its data, whatever the umask (lab.sh writes its secrets under
# umask 077) and whatever the clone's parents allow (mktemp -d and /root are 0700). The cluster lives in
# .state/pg when postgres can reach .state; otherwise under $LAB_VAR_ROOT/<hash of the lab's path>, whose
# folders are made with explicit modes, never by a bare mkdir -p that inherits the umask.
LAB_VAR_ROOT="${LAB_VAR_ROOT:-/var/lib/gpt371-lab}"
pg_as_postgres() { setpriv --reuid=postgres --regid=postgres --init-groups "$@"; }

if install -d -m 0755 "$STATE" && pg_as_postgres test -x "$STATE" 2>/dev/null; then
  PG_ROOT="$STATE/pg"
else
  PG_ROOT="$LAB_VAR_ROOT/$(printf '%s' "$LAB" | sha256sum | cut -c1-12)/pg"
fi
PG_DATA="$PG_ROOT/data"
PG_DBS="keystone placement nova_api nova nova_cell0 neutron glance"

# Every folder from the var root down gets its mode here; the cluster's own folder belongs to postgres.
postgres_dirs() {
  if [[ "$PG_ROOT" == "$LAB_VAR_ROOT"/* ]]; then
    install -d -m 0755 "$LAB_VAR_ROOT" "$(dirname "$PG_ROOT")"
  fi
  install -d -m 0700 -o postgres -g postgres "$PG_ROOT" "$PG_ROOT/run"
}

postgres_init() {
  postgres_dirs
  pg_as_postgres "$PG_BIN/initdb" -D "$PG_DATA" -U postgres --auth-local=trust --auth-host=scram-sha-256
}

postgres_up() {
  once pg-initdb postgres_init
  postgres_dirs
  start_daemon postgres setpriv --reuid=postgres --regid=postgres --init-groups \
    "$PG_BIN/postgres" -D "$PG_DATA" -p "$PG_PORT" -k "$PG_ROOT/run" -c listen_addresses=127.0.0.1
  local i
  for i in $(seq 1 60); do
    "$PG_BIN/pg_isready" -q -h "$PG_ROOT/run" -p "$PG_PORT" && break
    pid_alive postgres || fail_with_log "postgres (process exited)" "$LOGS/postgres.log"
    [[ $i == 60 ]] && fail_with_log postgres "$LOGS/postgres.log"
    sleep 0.5
  done
  once pg-databases postgres_databases
}

postgres_databases() {
  local psql=("$PG_BIN/psql" -h "$PG_ROOT/run" -p "$PG_PORT" -U postgres -v ON_ERROR_STOP=1 -q)
  pg_as_postgres "${psql[@]}" -c "CREATE ROLE lab LOGIN PASSWORD '$LAB_PASS'"
  for db in $PG_DBS; do
    pg_as_postgres "${psql[@]}" -c "CREATE DATABASE $db OWNER lab"
  done
}

postgres_down() { stop_daemon postgres; }
