# Shared helpers for lab.sh: paths, daemons started in their own process group, bounded waits.
LAB="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
STATE="$LAB/.state"
VENV="$LAB/.venv"
RUN="$STATE/run"
LOGS="$STATE/logs"
ETC="$STATE/etc"
PG_BIN=/usr/lib/postgresql/15/bin
PG_PORT=5440
# A real cloud's lags, on demand (lab/README.md, "Slow like a real cloud"): seconds between Neutron's batches of
# events to Nova (send_events_interval), and extra seconds a server stays in BUILD.
LAB_EVENT_DELAY="${LAB_EVENT_DELAY:-2}"
LAB_BOOT_DELAY="${LAB_BOOT_DELAY:-0}"
# Strict networking (lab/README.md, "Networking"), the default as on a real cloud: LAB_STRICT=1 makes fixed IPs
# unreachable from this machine (only floating IPs are); LAB_STRICT=0 (or LAB_REACH_FIXED_IPS=1) brings direct
# access back for debugging. LAB_REACH_FIXED_IPS overrides that one switch either way. Security groups are enforced
# unless LAB_SECGROUPS=0.
LAB_STRICT="${LAB_STRICT:-1}"
if [[ "$LAB_STRICT" == 1 ]]; then LAB_REACH_FIXED_IPS="${LAB_REACH_FIXED_IPS:-0}"; else LAB_REACH_FIXED_IPS="${LAB_REACH_FIXED_IPS:-1}"; fi
LAB_SECGROUPS="${LAB_SECGROUPS:-1}"
export PATH="$VENV/bin:$PATH"
STARTED_ANY=0  # set by start_daemon: lets `up` on a running lab skip the readiness checks

log() { printf '[lab] %s\n' "$*" >&2; }

# Print the tail of a log and fail: every failed wait ends here.
fail_with_log() {
  log "$1 did not come up; last lines of $2:"
  tail -n 30 "$2" >&2 || true
  exit 1
}

# A pid file holds "PID STARTTIME" (field 22 of /proc/PID/stat). PIDs are reused quickly on a busy
# machine: a bare PID could name someone else's process (a Docker engine, say) by the time we stop it.
# The command name (field 2) may hold spaces (gunicorn retitles itself): count fields after its ')'.
start_time() { sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | awk '{print $20}'; }
daemon_pid() { cut -d' ' -f1 "$RUN/$1.pid" 2>/dev/null; }
pid_alive() {
  local pid started
  [[ -f "$RUN/$1.pid" ]] || return 1
  read -r pid started < "$RUN/$1.pid"
  [[ -n "$pid" && -n "$started" && "$(start_time "$pid")" == "$started" ]]
}

# start_daemon NAME CMD...: runs CMD detached (own session = own process group), logs to $LOGS/NAME.log.
start_daemon() {
  local name="$1"; shift
  if pid_alive "$name"; then return 0; fi
  STARTED_ANY=1
  setsid "$@" >>"$LOGS/$name.log" 2>&1 < /dev/null &
  echo "$! $(start_time $!)" >"$RUN/$name.pid"
  log "started $name (pid $!)"
}

# stop_daemon NAME: TERM the process group, then KILL after a bounded wait.
stop_daemon() {
  local name="$1" pid i
  [[ -f "$RUN/$name.pid" ]] || return 0
  pid="$(daemon_pid "$name")"
  # Only the process we started (same start time): never a process that inherited its PID.
  if pid_alive "$name"; then
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
    for i in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    kill -KILL -- "-$pid" 2>/dev/null || true
    log "stopped $name"
  fi
  rm -f "$RUN/$name.pid"
}

# wait_http NAME URL [TRIES]: any HTTP answer counts (401 from an authenticated API is "up").
wait_http() {
  local name="$1" url="$2" tries="${3:-60}" i
  for i in $(seq 1 "$tries"); do
    if curl -s -o /dev/null --max-time 2 "$url"; then return 0; fi
    pid_alive "$name" || fail_with_log "$name (process exited)" "$LOGS/$name.log"
    sleep 0.5
  done
  fail_with_log "$name" "$LOGS/$name.log"
}

# render TEMPLATE DEST: fill @STATE@, @VENV@, @PASS@, @PG_PORT@, @EVENT_DELAY@ into a config file.
render() {
  sed -e "s|@STATE@|$STATE|g" -e "s|@VENV@|$VENV|g" -e "s|@PASS@|$LAB_PASS|g" \
      -e "s|@PG_PORT@|$PG_PORT|g" -e "s|@EVENT_DELAY@|$LAB_EVENT_DELAY|g" "$1" >"$2.tmp"
  mv "$2.tmp" "$2"
}

# once STEP CMD...: a set-up step that runs a single time per state directory.
once() {
  local step="$1"; shift
  [[ -f "$STATE/done/$step" ]] && return 0
  log "set-up: $step"
  "$@" >>"$LOGS/setup.log" 2>&1 || fail_with_log "set-up step $step" "$LOGS/setup.log"
  touch "$STATE/done/$step"
}
