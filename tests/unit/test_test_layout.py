"""The test tree keeps pytest's default (rootdir-based) import mode working.

Without ``__init__.py`` files, pytest imports every test module by its basename, so two files with the same
name in different folders break collection of the whole run (CI failed this way once).
"""

from collections import defaultdict
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]


def test_test_module_basenames_are_unique():
    seen = defaultdict(list)
    for path in TESTS.rglob("test_*.py"):
        if "output" in path.relative_to(TESTS).parts:
            continue  # ansible-test's copy of the collection
        seen[path.name].append(str(path.relative_to(TESTS)))
    clashes = {name: paths for name, paths in seen.items() if len(paths) > 1}
    assert not clashes, f"rename one of each pair so pytest can collect them: {clashes}"
