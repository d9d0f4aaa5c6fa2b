#!/usr/bin/env bash
# Figures for the lab: `lab.sh up` time (warm restart, and a re-run on a running lab), resident memory
# of all lab processes, server create → SSH seconds.
#   bash lab/measure.sh          warm: keeps lab/.venv and the databases
#   bash lab/measure.sh --cold   removes lab/.state and lab/.venv first (installs everything again)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

timed_up() {
  local t0=$SECONDS
  bash "$LAB/lab.sh" up >/dev/null
  echo $((SECONDS - t0))
}

bash "$LAB/lab.sh" down >/dev/null 2>&1
if [[ "${1:-}" == --cold ]]; then
  rm -rf "$STATE" "$VENV"
  echo "lab-up, cold (venv, databases, set-up): $(timed_up) s"
else
  echo "lab-up, warm restart (after lab.sh down): $(timed_up) s"
fi
echo "lab-up, re-run on a running lab: $(timed_up) s"

# PSS counts shared pages once across the forked workers; RSS is the upper bound.
rss=0 pss=0
for pidfile in "$RUN"/*.pid; do
  for pid in $(pgrep -g "$(cut -d' ' -f1 "$pidfile")"); do
    rss=$((rss + $(awk '/^Rss:/ {print $2}' "/proc/$pid/smaps_rollup" 2>/dev/null || echo 0)))
    pss=$((pss + $(awk '/^Pss:/ {print $2}' "/proc/$pid/smaps_rollup" 2>/dev/null || echo 0)))
  done
done
nproc_lab=$(for f in "$RUN"/*.pid; do pgrep -g "$(cut -d' ' -f1 "$f")"; done | wc -l)
echo "lab processes: $nproc_lab, resident memory: RSS $((rss / 1024)) MiB, PSS $((pss / 1024)) MiB"

python3 -m gpt371_lab.measure_server "$STATE/clouds.yaml"
