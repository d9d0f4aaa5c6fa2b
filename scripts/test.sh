#!/usr/bin/env bash
# `make test` / CI: every suite in order, each timed. Prints a table of each step's and each pytest suite's time
# at the end, also when a step fails (then it stops there, like make would).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
export PATH="$ROOT/.venv/bin:$PATH" ANSIBLE_CONFIG="$ROOT/ansible.cfg"
mkdir -p .cache
export GPT371_SUITE_TIMES="$ROOT/.cache/test-times.tsv"   # tests/conftest.py adds one line per pytest suite
: >"$GPT371_SUITE_TIMES"
T0=$SECONDS

table() {
  local rc=$?
  printf '\n%-22s %8s  %s\n' STEP SECONDS RESULT
  awk -F'\t' '{printf "%-22s %8d  %s\n", $1, $2, $3}' "$GPT371_SUITE_TIMES"
  printf '%-22s %8d  %s\n' total $((SECONDS - T0)) "$([[ $rc == 0 ]] && echo ok || echo "FAILED (rc $rc)")"
  # The last line is pytest's count over every suite, so a reader of the closing line sees the tests.
  awk -F'\t' '/^  pytest / { n = split($3, parts, ", "); for (i = 1; i <= n; i++) { split(parts[i], w, " ");
       count[w[2]] += w[1] } } END { if (length(count)) printf "tests: %d passed, %d failed, %d skipped\n",
       count["passed"], count["failed"] + count["error"], count["skipped"] }' "$GPT371_SUITE_TIMES"
}
trap table EXIT

# step NAME CMD...: run CMD, record its time and result; a failure stops the run.
step() {
  local name="$1" t0=$SECONDS rc=0; shift
  "$@" || rc=$?
  printf '%s\t%d\t%s\n' "$name" $((SECONDS - t0)) "$([[ $rc == 0 ]] && echo ok || echo "FAILED (rc $rc)")" \
    >>"$GPT371_SUITE_TIMES"
  return "$rc"
}

step setup bash scripts/bootstrap.sh
step engine bash scripts/dockerd.sh
step images bash images/build.sh
step ansible-lint ansible-lint
step sanity bash scripts/sanity.sh ${SANITY_ARGS:-}
step ee-image bash images/build.sh ee
# shellcheck disable=SC2086  # PYTEST_ARGS is a list of words
step pytest python -m pytest tests ${PYTEST_ARGS:-}
