"""Top-level test configuration: make the checked-out collection importable and expose the repo root.

scripts/bootstrap.sh links the checkout at .collections/ansible_collections/gpt371/infra, so with
.collections on sys.path `import ansible_collections.gpt371.infra.plugins...` resolves to this repo.
"""
import os
import sys
import time

import pytest

REPO_ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
_COLLECTIONS = os.path.join(REPO_ROOT, ".collections")
if _COLLECTIONS not in sys.path:
    sys.path.insert(0, _COLLECTIONS)


@pytest.fixture(scope="session")
def repo_root():
    """Absolute path of the repository (= collection) root."""
    return REPO_ROOT


# Per-suite times for scripts/test.sh's table (GPT371_SUITE_TIMES): the time of every test's set-up, call and
# tear-down, summed by the folder under tests/ (unit, integration, awx, molecule, lab).
_SUITES = {}


def pytest_runtest_logreport(report):
    suite = report.nodeid.split("/")[1] if report.nodeid.startswith("tests/") else report.nodeid.split("/")[0]
    seconds, outcomes = _SUITES.setdefault(suite, [0.0, {}])
    _SUITES[suite][0] = seconds + report.duration
    if report.when == "call" or report.outcome != "passed":
        outcomes[report.outcome] = outcomes.get(report.outcome, 0) + 1


def pytest_sessionfinish(session):
    path = os.environ.get("GPT371_SUITE_TIMES")
    if not path or not _SUITES:
        return
    with open(path, "a", encoding="utf-8") as handle:
        for suite, (seconds, outcomes) in sorted(_SUITES.items()):
            counts = ", ".join("%d %s" % (n, outcome) for outcome, n in sorted(outcomes.items()))
            handle.write("  pytest %s\t%d\t%s\n" % (suite, round(seconds), counts))


# The machine's CPU per test (Linux), from /proc/stat: the CPU-seconds every process used while the test ran
# (the lab's services and servers, ansible-playbook and its workers, the containers), next to its wall time. CI
# runs on 2 shared cores, so its time follows this figure more than the durations above: a test whose cores stay
# near 1 is bound by work on one path, one well below 1 by waits (sleeps, timeouts, a cloud's event batches).
_CPU = []
_HZ = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _busy_seconds():
    """CPU-seconds all CPUs spent busy since boot, or None where /proc/stat is missing."""
    try:
        with open("/proc/stat", encoding="ascii") as handle:
            # user nice system idle iowait irq softirq steal; guest and guest_nice (after them) are already
            # counted in user and nice.
            values = [int(v) for v in handle.readline().split()[1:9]]
    except OSError:
        return None
    return (sum(values) - values[3] - values[4]) / _HZ  # idle and iowait are not busy


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):
    before, started = _busy_seconds(), time.monotonic()
    yield
    after, wall = _busy_seconds(), time.monotonic() - started
    if before is not None and after is not None:
        _CPU.append((after - before, wall, item.nodeid))


def pytest_terminal_summary(terminalreporter):
    heaviest = sorted(_CPU, reverse=True)[:15]
    if not heaviest or heaviest[0][0] < 10:
        return
    terminalreporter.section("heaviest tests by the machine's CPU-seconds (set-up, call and tear-down)")
    for cpu, wall, nodeid in heaviest:
        cores = cpu / max(wall, 0.01)
        terminalreporter.write_line("%7.1f CPU-s in %7.1f s (%.2f cores)  %s" % (cpu, wall, cores, nodeid))
