"""No task, module default or handler uses a plugin its collection deprecates, redirects or has removed.

A deprecated module prints a warning in every run that includes it (community.postgresql 4 deprecated
postgresql_set: two warnings in every site.yml) and breaks the role when the collection drops it. The routing is
each collection's meta/runtime.yml, as installed here (the ``ansible`` bundle), and ansible-core's own for
ansible.builtin.
"""
import functools
import os
import re
import sys

import yaml

from tests.helpers import repo_yaml_files

FQCN = re.compile(r"^([a-z0-9_]+)\.([a-z0-9_]+)\.([a-z0-9_.]+)$")
ROUTING_KINDS = ("modules", "action")
LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _yaml_files():
    return repo_yaml_files("roles", "playbooks", "awx", "examples")


def _fqcn_keys(node, found):
    """Every mapping key shaped namespace.collection.name, anywhere (tasks, handlers, module_defaults)."""
    if isinstance(node, dict):
        for key, value in node.items():
            if isinstance(key, str) and FQCN.match(key):
                found.add(key)
            _fqcn_keys(value, found)
    elif isinstance(node, list):
        for item in node:
            _fqcn_keys(item, found)


def _used():
    found = set()
    for path in _yaml_files():
        with open(path, encoding="utf-8") as handle:
            try:
                docs = list(yaml.load_all(handle, Loader=LOADER))
            except yaml.YAMLError:
                continue  # not Ansible YAML (e.g. a Jinja template); the YAML tests cover the rest
        for doc in docs:
            _fqcn_keys(doc, found)
    return found


@functools.lru_cache(maxsize=None)
def _runtime(namespace, collection):
    """The collection's meta/runtime.yml as installed (ansible-core's builtin routing for ansible.builtin)."""
    if (namespace, collection) == ("ansible", "builtin"):
        import ansible
        path = os.path.join(os.path.dirname(ansible.__file__), "config", "ansible_builtin_runtime.yml")
    else:
        # The first copy on sys.path, as Ansible's loader finds it (the bundle's site-packages for these).
        homes = [os.path.join(entry, "ansible_collections", namespace, collection) for entry in sys.path if entry]
        home = next((home for home in homes if os.path.isdir(home)), None)
        if home is None:
            return None  # not installed here (awx.awx: an AWX-side collection), or not a collection name
        path = os.path.join(home, "meta", "runtime.yml")
    if not os.path.isfile(path):
        return {}
    with open(path, encoding="utf-8") as handle:
        return yaml.load(handle, Loader=LOADER) or {}


def test_the_scan_finds_the_modules_the_roles_use():
    used = _used()
    assert "community.postgresql.postgresql_alter_system" in used  # a module_defaults key and a task
    assert "openstack.cloud.server" in used and "ansible.builtin.assert" in used


def test_the_routing_read_is_the_installed_one():
    """Not vacuous: the routing this test reads is the one that deprecated postgresql_set (community.postgresql
    4), and ansible-core's own routes ansible.builtin names."""
    postgresql = _runtime("community", "postgresql")["plugin_routing"]["modules"]
    assert "deprecation" in postgresql["postgresql_set"]
    assert _runtime("ansible", "builtin").get("plugin_routing")
    assert _runtime("awx", "awx") is None  # AWX-side: not installed on this controller


def test_no_plugin_used_is_deprecated_redirected_or_removed():
    problems = []
    for name in sorted(_used()):
        namespace, collection, plugin = FQCN.match(name).groups()
        if namespace == "gpt371":
            continue  # ours: meta/runtime.yml of this collection routes nothing away
        runtime = _runtime(namespace, collection)
        if runtime is None:
            continue  # not a collection name (a variable or a key that only looks like one)
        for kind in ROUTING_KINDS:
            route = ((runtime.get("plugin_routing") or {}).get(kind) or {}).get(plugin) or {}
            for what in ("deprecation", "tombstone", "redirect"):
                if what in route:
                    problems.append(f"{name} ({kind}): {what} {route[what]}")
    assert problems == [], "\n".join(problems)
