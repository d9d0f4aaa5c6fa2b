#!/usr/bin/env bash
# Start a Docker engine when none answers (fresh machines and CI run none).
# Bounded wait; on failure prints the engine log's last lines.
set -euo pipefail
LOG=/var/log/gpt371-dockerd.log
PIDFILE=/run/gpt371-dockerd.pid
if docker info >/dev/null 2>&1; then exit 0; fi
command -v dockerd >/dev/null || { echo "dockerd missing: run scripts/bootstrap.sh" >&2; exit 1; }
echo "[dockerd] starting engine (log: $LOG)"
# containerd ships with docker.io; dockerd starts its own when none runs.
nohup dockerd >>"$LOG" 2>&1 &
# "PID STARTTIME" as lab/lib.sh writes: scripts/purge.sh stops only this engine, never a reused PID.
echo "$! $(sed 's/.*) //' "/proc/$!/stat" | awk '{print $20}')" >"$PIDFILE"
for _ in $(seq 1 60); do
  docker info >/dev/null 2>&1 && { echo "[dockerd] ready"; exit 0; }
  sleep 0.5
done
echo "[dockerd] engine did not answer within 30 s; last log lines:" >&2
tail -n 20 "$LOG" >&2
exit 1
