# The lab's PostgreSQL cluster: data under .state/pg, 127.0.0.1:$PG_PORT, run as the postgres user.
# postgres must traverse every parent of its directory: a clone inside a private directory (mktemp -d: 0700)
# keeps its cluster under /var/lib/gpt371-lab/<hash of the lab's path> instead.
PG_ROOT="$STATE/pg"
if ! setpriv --reuid=postgres --regid=postgres --init-groups test -x "$LAB" 2>/dev/null; then
  PG_ROOT="/var/lib/gpt371-lab/$(printf '%s' "$LAB" | sha256sum | cut -c1-12)/pg"
fi
PG_DATA="$PG_ROOT/data"
PG_DBS="keystone placement nova_api nova nova_cell0 neutron glance"

pg_as_postgres() { setpriv --reuid=postgres --regid=postgres --init-groups "$@"; }

postgres_init() {
  mkdir -p "$PG_ROOT/run"
  chown -R postgres:postgres "$PG_ROOT"
  pg_as_postgres "$PG_BIN/initdb" -D "$PG_DATA" -U postgres --auth-local=trust --auth-host=scram-sha-256
}

postgres_up() {
  once pg-initdb postgres_init
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
