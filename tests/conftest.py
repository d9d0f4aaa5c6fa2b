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
