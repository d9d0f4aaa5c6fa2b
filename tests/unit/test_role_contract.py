"""Every role has the same shape (issue 11), read from the role files themselves.

- tasks/main.yml includes "{{ <role>_action }}.yml"; precheck.yml, deploy.yml and check.yml exist;
  defaults and meta/argument_specs.yml declare <role>_action with its three choices;
- no Jinja expression in roles/ is longer than 10 lines (decisions live in tested Python);
- private variables carry the role's own prefix "<role>__", never "_<role>_";
- OpenStack and S3 connection settings come from module_defaults, not from each task.
"""
import glob
import os
import re

import pytest
import yaml

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
ROLES = sorted(os.path.basename(p) for p in glob.glob(os.path.join(REPO, "roles", "*"))
               if os.path.isdir(os.path.join(p, "tasks")))
ACTIONS = ("precheck", "deploy", "check")
MAX_JINJA_LINES = 10
# Set once per role through module_defaults (group/openstack.cloud.openstack, group/amazon.aws.aws).
SHARED_ARGS = {
    "openstack.cloud.": ("cloud", "auth", "api_timeout", "auth_type", "region_name"),
    "amazon.aws.": ("endpoint_url", "access_key", "secret_key", "aws_access_key", "aws_secret_key"),
}


def _load(path):
    with open(path, encoding="utf-8") as handle:
        return list(yaml.safe_load_all(handle))


def _role_yaml(role=None):
    top = os.path.join(REPO, "roles", role or "")
    return sorted(p for p in glob.glob(os.path.join(top, "**", "*.yml"), recursive=True)
                  if os.sep + "molecule" + os.sep not in p)


def _strings(node, path="$"):
    if isinstance(node, str):
        yield path, node
    elif isinstance(node, dict):
        for key, value in node.items():
            yield from _strings(value, f"{path}.{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _strings(value, f"{path}[{index}]")


def long_jinja(document, limit=MAX_JINJA_LINES):
    """(path, lines) for every templated scalar longer than limit lines."""
    out = []
    for path, text in _strings(document):
        if "{{" in text or "{%" in text:
            lines = len(text.strip().splitlines())
            if lines > limit:
                out.append((path, lines))
    return out


def _tasks(node):
    """Every task dict, blocks/rescue/always flattened."""
    if isinstance(node, list):
        for item in node:
            yield from _tasks(item)
    elif isinstance(node, dict):
        yield node
        for key in ("block", "rescue", "always"):
            if key in node:
                yield from _tasks(node[key])


def _private_names(task):
    names = []
    if isinstance(task.get("register"), str):
        names.append(task["register"])
    for key in ("ansible.builtin.set_fact", "set_fact"):
        if isinstance(task.get(key), dict):
            names += [k for k in task[key] if k != "cacheable"]
    if isinstance(task.get("vars"), dict):
        names += list(task["vars"])
    return names


def test_counter_sees_a_long_expression():
    eleven = "{{ [\n" + ",\n".join(str(i) for i in range(9)) + "\n] }}"
    ten = "{{ [\n" + ",\n".join(str(i) for i in range(8)) + "\n] }}"
    assert long_jinja([{"set_fact": {"x": eleven}}]) == [("$[0].set_fact.x", 11)]
    assert long_jinja([{"set_fact": {"x": ten}}]) == []


@pytest.mark.parametrize("role", ROLES)
def test_main_includes_the_action(role):
    main = os.path.join(REPO, "roles", role, "tasks", "main.yml")
    includes = [t.get("ansible.builtin.include_tasks") for t in _tasks(_load(main)[0] or [])
                if "ansible.builtin.include_tasks" in t]
    files = [i.get("file") if isinstance(i, dict) else i for i in includes]
    wanted = re.compile(r"^\{\{\s*" + role + r"_action\s*(\|\s*default\(infra_action\)\s*)?\}\}\.yml$")
    assert any(isinstance(f, str) and wanted.match(f) for f in files), (
        f"roles/{role}/tasks/main.yml must include \"{{{{ {role}_action }}}}.yml\" (found {files})")


@pytest.mark.parametrize("role", ROLES)
def test_action_files_exist(role):
    missing = [a for a in ACTIONS
               if not os.path.isfile(os.path.join(REPO, "roles", role, "tasks", f"{a}.yml"))]
    assert not missing, f"roles/{role}/tasks/ lacks {', '.join(a + '.yml' for a in missing)}"


@pytest.mark.parametrize("role", ROLES)
def test_action_is_declared(role):
    defaults = _load(os.path.join(REPO, "roles", role, "defaults", "main.yml"))[0] or {}
    assert f"{role}_action" in defaults, f"roles/{role}/defaults/main.yml: set {role}_action"
    assert "infra_action" in str(defaults[f"{role}_action"]), f"{role}_action must default to infra_action"
    specs = _load(os.path.join(REPO, "roles", role, "meta", "argument_specs.yml"))[0]
    option = specs["argument_specs"]["main"]["options"].get(f"{role}_action")
    assert option, f"roles/{role}/meta/argument_specs.yml: document {role}_action"
    assert sorted(option.get("choices", [])) == sorted(ACTIONS), option


@pytest.mark.parametrize("path", _role_yaml(), ids=lambda p: os.path.relpath(p, REPO))
def test_no_long_jinja(path):
    found = [hit for document in _load(path) for hit in long_jinja(document)]
    assert not found, (f"{os.path.relpath(path, REPO)}: Jinja over {MAX_JINJA_LINES} lines at {found}; "
                       "move the decision into a filter or action plugin with unit tests")


@pytest.mark.parametrize("role", ROLES)
def test_private_prefix(role):
    wrong = []
    for path in _role_yaml(role):
        if f"{os.sep}tasks{os.sep}" not in path and f"{os.sep}handlers{os.sep}" not in path:
            continue
        for document in _load(path):
            for task in _tasks(document or []):
                wrong += [(os.path.relpath(path, REPO), n) for n in _private_names(task)
                          if n.startswith("_")]
    assert not wrong, f"private variables are named {role}__<name>: {wrong}"


@pytest.mark.parametrize("role", ROLES)
def test_connection_settings_come_from_module_defaults(role):
    repeated = []
    for path in _role_yaml(role):
        if f"{os.sep}tasks{os.sep}" not in path:
            continue
        for document in _load(path):
            for task in _tasks(document or []):
                for module, args in task.items():
                    for prefix, shared in SHARED_ARGS.items():
                        if module.startswith(prefix) and isinstance(args, dict):
                            repeated += [(os.path.relpath(path, REPO), module, a) for a in shared if a in args]
    assert not repeated, f"set these once in tasks/main.yml's module_defaults: {repeated}"
