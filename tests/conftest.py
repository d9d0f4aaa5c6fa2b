"""Top-level test configuration: make the checked-out collection importable and expose the repo root.

scripts/bootstrap.sh links the checkout at .collections/ansible_collections/gpt371/infra, so with
.collections on sys.path `import ansible_collections.gpt371.infra.plugins...` resolves to this repo.
"""
import os
import sys

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
