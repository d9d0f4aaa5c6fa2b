"""What an AWX administrator would type into the 371GPT templates to run them against the local lab.

The lab's settings live in inventories/local (group_vars/all.yml, host_vars/localhost.yml, group_vars/<group>.yml),
as Jinja over lab/.state. An AWX job gets no such inventory: this renders those settings once, on the controller,
into plain values (AWX refuses Jinja in launch-time extra vars), leaving out what a job gets otherwise:
  - the secrets: the 371GPT credentials inject DB_PASSWORD, STORAGE_*, XPIPE_API_KEY, which the roles read;
  - the cloud: the OpenStack credential's clouds.yaml names the cloud `devstack` (the templates' infra_cloud);
  - the key: the Machine credential (ssh-agent) and instances_public_key instead of the lab's generated key;
  - controller state paths (outputs file, state dir, known_hosts): each job keeps its own, and loses it;
  - what depends on hosts (app_env_extra's API_HOST): app_env_inventory_keys takes it from the inventory.
Per-group settings (the reference stack's compose files and images of core, xpipe, kespa, agents) become group
variables of the stored inventory, as an administrator sets them on the inventory's groups.
"""
import json
import os
import subprocess
import sys

import yaml

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
LOCAL = os.path.join(REPO, "inventories", "local")
VENV_BIN = os.path.dirname(sys.executable)
LEFT_OUT = {
    "infra_environment", "infra_cloud", "network_cloud", "instances_cloud", "teardown_cloud", "infra_state_dir",
    "outputs_file", "app_env_outputs_file", "database_password", "storage_access_key", "storage_secret_key",
    "app_env_db_password", "app_env_storage_access_key", "app_env_storage_secret_key", "app_env_xpipe_api_key",
    "verify_expected_env", "app_env_extra", "instances_generate_key", "instances_private_key_file",
    "instances_public_key", "instances_public_key_file", "stack_source_dir", "infra_deployment",
    "network_subnet_cidr",
}
GROUPS = ("core", "xpipe", "kespa", "agents")


def _keys(path):
    with open(path, encoding="utf-8") as fh:
        data = yaml.safe_load(fh) or {}
    return [k for k in data if not k.startswith("lab_") and k not in LEFT_OUT and "known_hosts" not in k]


def render(deployment, cidr, workdir):
    """{'extra_vars': {...}, 'group_vars': {group: {...}}}: the lab's settings for `deployment` on `cidr`."""
    all_keys = _keys(os.path.join(LOCAL, "group_vars", "all.yml"))
    all_keys += _keys(os.path.join(LOCAL, "host_vars", "localhost.yml"))
    group_keys = {g: _keys(os.path.join(LOCAL, "group_vars", g + ".yml")) for g in GROUPS
                  if os.path.exists(os.path.join(LOCAL, "group_vars", g + ".yml"))}
    out = os.path.join(workdir, "lab-profile.json")
    plays = [
        {"name": "Render the lab's settings", "hosts": "localhost", "gather_facts": False, "tasks": [
            {"name": "One host per group", "ansible.builtin.add_host": {
                "name": "render-{{ item }}", "groups": "{{ item }}", "ansible_connection": "local",
                "ansible_python_interpreter": sys.executable},
             "loop": sorted(group_keys)},
            {"name": "Values", "ansible.builtin.copy": {"dest": out, "mode": "0600", "content": (
                "{{ {%s} | to_json }}" % ", ".join("%s: %s" % (json.dumps(k), k) for k in all_keys))}},
        ]},
        {"name": "Render each group's settings", "hosts": "render-*", "gather_facts": False, "tasks": [
            {"name": "Values", "ansible.builtin.copy": {
                "dest": out + ".{{ inventory_hostname[7:] }}", "mode": "0600", "content": (
                    "{{ dict(group_keys[inventory_hostname[7:]] | zip(query('ansible.builtin.vars', "
                    "*group_keys[inventory_hostname[7:]]))) | to_json }}")},
             "vars": {"group_keys": group_keys}},
        ]},
    ]
    playbook = os.path.join(workdir, "render-lab-profile.yml")
    with open(playbook, "w", encoding="utf-8") as fh:
        yaml.safe_dump(plays, fh)
    env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(REPO, "ansible.cfg"), ANSIBLE_NOCOLOR="1",
               PATH=VENV_BIN + os.pathsep + os.environ.get("PATH", ""))
    proc = subprocess.run([os.path.join(VENV_BIN, "ansible-playbook"), "-i", LOCAL, playbook,
                           "-e", "infra_deployment=" + deployment, "-e", "network_subnet_cidr=" + cidr],
                          cwd=REPO, env=env, capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, "rendering the lab's settings failed:\n" + (proc.stdout + proc.stderr)[-3000:]
    profile = {"group_vars": {}}
    with open(out, encoding="utf-8") as fh:
        profile["extra_vars"] = json.load(fh)
    os.unlink(out)
    for group in group_keys:
        with open(out + "." + group, encoding="utf-8") as fh:
            profile["group_vars"][group] = json.load(fh)
        os.unlink(out + "." + group)
    profile = _normalized(profile)
    profile["extra_vars"].update(infra_deployment=deployment, network_subnet_cidr=cidr, infra_access="bastion")
    # DB_HOST and XPIPE_HOST come from the inventory already; API_HOST (the agents' API) is core's address
    profile["extra_vars"]["app_env_inventory_keys"] = {
        "DB_HOST": "database", "XPIPE_HOST": "xpipe", "API_HOST": "core"}
    return profile


def _normalized(node):
    if isinstance(node, dict):
        return {k: _normalized(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_normalized(v) for v in node]
    if isinstance(node, str) and node.startswith(REPO + os.sep):
        return os.path.normpath(node)
    return node


def lab_paths(profile):
    """Controller files the settings name (the lab CA and its key in lab/.state): what the EE must see, mounted
    read-only at the same path (in AWX: a credential type with file injectors)."""
    found = set()

    def walk(node):
        if isinstance(node, dict):
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)
        elif isinstance(node, str) and node.startswith(REPO + os.sep):
            found.add(node)

    walk(profile)
    return sorted(found)
