"""Every argv item in the roles' and playbooks' task files is a string once YAML has parsed it (issue 10).

`- --no-binary=:all:` is a plain scalar ending in ':', so YAML reads a one-key mapping and pip received
`{'--no-binary=:all': None}`. ansible-lint did not see it; this walks every task file instead.
"""
import os

import pytest
import yaml

from tests.helpers import REPO, repo_yaml_files

# Keys whose value, when a list, is an argv handed to a program item by item.
ARGV_KEYS = ("argv", "cmd")


def _yaml_files():
    return repo_yaml_files("roles", "playbooks")


def _argv_lists(node, path="$"):
    """(path, list) for every argv/cmd list anywhere in the parsed document."""
    if isinstance(node, dict):
        for key, value in node.items():
            sub = f"{path}.{key}"
            if key in ARGV_KEYS and isinstance(value, list):
                yield sub, value
            yield from _argv_lists(value, sub)
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _argv_lists(value, f"{path}[{index}]")


def bad_items(document):
    return [(where, index, item) for where, items in _argv_lists(document)
            for index, item in enumerate(items) if not isinstance(item, str)]


def _load(path):
    with open(path, encoding="utf-8") as handle:
        return list(yaml.safe_load_all(handle))


def test_catches_the_plain_scalar_ending_in_colon():
    # The exact shape that broke a fresh install, and its fix.
    broken = yaml.safe_load("- ansible.builtin.command:\n    argv:\n      - pip\n      - --no-binary=:all:\n")
    fixed = yaml.safe_load("- ansible.builtin.command:\n    argv:\n      - pip\n      - \"--no-binary=:all:\"\n")
    assert bad_items(broken) == [("$[0].ansible.builtin.command.argv", 1, {"--no-binary=:all": None})]
    assert bad_items(fixed) == []


def test_scans_the_tree():
    # Guards the walk itself: the tree has argv lists, so an empty scan would prove nothing.
    assert sum(1 for f in _yaml_files() for doc in _load(f) for _found in _argv_lists(doc)) >= 5


@pytest.mark.parametrize("path", _yaml_files(), ids=lambda p: os.path.relpath(p, REPO))
def test_every_argv_item_is_a_string(path):
    problems = [f"{where}[{index}] is {type(item).__name__} {item!r}: quote it"
                for doc in _load(path) for where, index, item in bad_items(doc)]
    assert not problems, "\n".join(problems)
