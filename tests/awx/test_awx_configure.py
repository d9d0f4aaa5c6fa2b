"""playbooks/awx_configure.yml (the awx.awx way of awx/assets.yml), without AWX and without Galaxy.

The playbook must cover every asset kind and every asset of awx/assets.yml. Checked twice: on the parsed
playbook (each kind has an awx.awx task looping over it), and by running it against a stand-in awx.awx
collection whose modules accept exactly the options of the real modules (awx.awx 24.6.1's argument_spec),
check their types and record every call; the recorded calls must name every asset with its fields.
"""
import json
import os
import subprocess
import sys

import pytest
import yaml

from conftest import ASSETS, REPO

PLAYBOOK = os.path.join(REPO, "playbooks", "awx_configure.yml")
REQUIREMENTS = os.path.join(REPO, "awx", "requirements.yml")
VENV_BIN = os.path.dirname(sys.executable)

# asset kind of awx/assets.yml -> awx.awx module, in the order the objects depend on each other
MODULE_OF = {
    "credential_types": "credential_type",
    "credentials": "credential",
    "execution_environments": "execution_environment",
    "projects": "project",
    "inventory": "inventory",
    "inventory_sources": "inventory_source",
    "job_templates": "job_template",
    "workflow_job_templates": "workflow_job_template",
}

_NOTIFY = ("notification_templates_started", "notification_templates_success", "notification_templates_error")
_AUTH = ("controller_host", "controller_username", "controller_password", "controller_oauthtoken", "validate_certs",
         "controller_config_file", "request_timeout", "aap_token")
# The options of the real modules (awx_collection/plugins/modules/*.py of ansible/awx), and the types of the
# typed ones the playbook passes.
OPTIONS = {
    "credential_type": ("name", "description", "kind", "inputs", "injectors", "state"),
    "credential": ("name", "new_name", "copy_from", "description", "organization", "credential_type", "inputs",
                   "update_secrets", "user", "team", "state"),
    "execution_environment": ("name", "new_name", "image", "description", "organization", "credential", "state",
                              "pull"),
    "project": ("name", "new_name", "copy_from", "description", "scm_type", "scm_url", "local_path", "scm_branch",
                "scm_refspec", "credential", "scm_clean", "scm_delete_on_update", "scm_track_submodules",
                "scm_update_on_launch", "scm_update_cache_timeout", "allow_override", "timeout",
                "default_environment", "organization", "state", "wait", "update_project", "interval",
                "signature_validation_credential") + _NOTIFY,
    "inventory": ("name", "new_name", "copy_from", "description", "organization", "variables", "kind", "host_filter",
                  "instance_groups", "prevent_instance_group_fallback", "state", "input_inventories"),
    "inventory_source": ("name", "new_name", "description", "inventory", "source", "source_path", "source_vars",
                         "enabled_var", "enabled_value", "host_filter", "limit", "credential", "execution_environment",
                         "custom_virtualenv", "organization", "overwrite", "overwrite_vars", "timeout", "verbosity",
                         "update_on_launch", "update_cache_timeout", "source_project", "scm_branch", "state") + _NOTIFY,
    "job_template": ("name", "new_name", "copy_from", "description", "organization", "job_type", "inventory",
                     "project", "playbook", "credential", "vault_credential", "credentials", "execution_environment",
                     "custom_virtualenv", "instance_groups", "forks", "limit", "verbosity", "extra_vars", "job_tags",
                     "force_handlers", "skip_tags", "start_at_task", "timeout", "use_fact_cache", "host_config_key",
                     "ask_diff_mode_on_launch", "ask_variables_on_launch", "ask_limit_on_launch", "ask_tags_on_launch",
                     "ask_skip_tags_on_launch", "ask_job_type_on_launch", "ask_verbosity_on_launch",
                     "ask_inventory_on_launch", "ask_credential_on_launch", "ask_execution_environment_on_launch",
                     "ask_forks_on_launch", "ask_instance_groups_on_launch", "ask_job_slice_count_on_launch",
                     "ask_labels_on_launch", "ask_timeout_on_launch", "survey_enabled", "survey_spec",
                     "become_enabled", "diff_mode", "allow_simultaneous", "scm_branch", "ask_scm_branch_on_launch",
                     "job_slice_count", "webhook_service", "webhook_credential", "labels",
                     "prevent_instance_group_fallback", "state") + _NOTIFY,
    "workflow_job_template": ("name", "new_name", "copy_from", "description", "extra_vars", "organization",
                              "survey_spec", "survey_enabled", "allow_simultaneous", "ask_variables_on_launch",
                              "inventory", "limit", "scm_branch", "ask_inventory_on_launch",
                              "ask_scm_branch_on_launch", "ask_limit_on_launch", "webhook_service",
                              "webhook_credential", "labels", "notification_templates_approvals", "schema",
                              "workflow_nodes", "destroy_current_schema", "state") + _NOTIFY,
}
TYPES = {"inputs": dict, "injectors": dict, "variables": dict, "extra_vars": dict, "survey_spec": dict,
         "credentials": list, "schema": list, "update_secrets": bool, "wait": bool, "scm_clean": bool,
         "scm_update_on_launch": bool, "allow_override": bool, "overwrite": bool, "overwrite_vars": bool,
         "update_on_launch": bool, "survey_enabled": bool, "become_enabled": bool, "allow_simultaneous": bool,
         "ask_variables_on_launch": bool, "ask_credential_on_launch": bool, "ask_limit_on_launch": bool,
         "verbosity": int}

STANDIN_MODULE = '''#!/usr/bin/python
# WANT_JSON
# Stand-in for awx.awx.%(module)s (tests/awx/test_awx_configure.py): checks the option names and types, records.
import json
import sys

OPTIONS = %(options)r
TYPES = %(types)r
with open(sys.argv[1]) as fh:
    args = {k: v for k, v in json.load(fh).items() if not k.startswith("_ansible")}
bad = sorted(set(args) - set(OPTIONS))
wrong = sorted(k for k, v in args.items() if k in TYPES and v is not None
               and (type(v).__name__ != TYPES[k] or (TYPES[k] == "int" and isinstance(v, bool))))
if bad or wrong:
    print(json.dumps({"failed": True, "msg": "unsupported: %%s, wrong type: %%s" %% (bad, wrong)}))
    sys.exit(1)
with open(%(record)r, "a") as fh:
    fh.write(json.dumps({"module": %(module)r, "args": args}) + "\\n")
print(json.dumps({"changed": True}))
'''


def _load(path):
    with open(path, encoding="utf-8") as fh:
        return yaml.safe_load(fh)  # resolves the anchors and merge keys of assets.yml


@pytest.fixture(scope="module")
def raw_assets():
    return _load(ASSETS)


def _awx_tasks(play):
    return [t for t in play["tasks"] if any(k.startswith("awx.awx.") for k in t)]


def test_the_playbook_has_a_task_for_every_asset_kind(raw_assets):
    (play,) = _load(PLAYBOOK)
    tasks = _awx_tasks(play)
    looped = {}
    for task in tasks:
        (module,) = [k[len("awx.awx."):] for k in task if k.startswith("awx.awx.")]
        kind = task["loop"].strip("{} ").split(".")[-1]
        looped[kind] = module
    assert set(raw_assets) == set(MODULE_OF), "a new asset kind in assets.yml: map it here and in the playbook"
    assert looped == MODULE_OF
    order = [t["loop"].strip("{} ").split(".")[-1] for t in tasks]
    assert order == list(MODULE_OF), "objects must come after what they reference"
    requirements = _load(REQUIREMENTS)
    assert [c["name"] for c in requirements["collections"]] == ["awx.awx"]


def _standin_collection(root, record):
    modules = os.path.join(str(root), "ansible_collections", "awx", "awx", "plugins", "modules")
    os.makedirs(modules)
    for module, options in OPTIONS.items():
        with open(os.path.join(modules, module + ".py"), "w", encoding="utf-8") as fh:
            fh.write(STANDIN_MODULE % {"module": module, "options": options + _AUTH, "record": record,
                                       "types": {k: v.__name__ for k, v in TYPES.items()}})
    return str(root)


def _run(tmp_path, extra_vars=None):
    record = str(tmp_path / "calls.jsonl")
    collections = _standin_collection(tmp_path / "collections", record)
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=collections, ANSIBLE_CONFIG=os.path.join(REPO, "ansible.cfg"),
               ANSIBLE_NOCOLOR="1", DB_USER="must-not-be-rendered")
    cmd = [os.path.join(VENV_BIN, "ansible-playbook"), PLAYBOOK]
    if extra_vars:
        vars_file = tmp_path / "vars.json"
        vars_file.write_text(json.dumps(extra_vars))
        cmd += ["-e", "@" + str(vars_file)]
    proc = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, check=False, timeout=300)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    calls = {}
    with open(record, encoding="utf-8") as fh:
        for line in fh:
            call = json.loads(line)
            calls.setdefault(call["module"], []).append(call["args"])
    return calls, proc.stdout


def test_the_playbook_creates_every_asset_with_the_standin_awx_collection(raw_assets, tmp_path):
    calls = _run(tmp_path)[0]
    for kind, module in MODULE_OF.items():
        assert [c["name"] for c in calls[module]] == [a["name"] for a in raw_assets[kind]], kind

    types = {c["name"]: c for c in calls["credential_type"]}
    for ct in raw_assets["credential_types"]:
        assert (types[ct["name"]]["inputs"], types[ct["name"]]["injectors"]) == (ct["inputs"], ct["injectors"])
    for cred, asset in zip(calls["credential"], raw_assets["credentials"]):
        assert cred["credential_type"] == asset["credential_type"]["name"] and cred["organization"] == "Default"
        assert cred["inputs"] == asset["inputs"] and cred["update_secrets"] is False  # placeholders never overwrite
    (ee,) = calls["execution_environment"]
    assert (ee["image"], ee["pull"]) == ("gpt371-ee:0.1.0", "missing")
    (project,) = calls["project"]
    assert project["scm_url"] == raw_assets["projects"][0]["scm_url"] and project["default_environment"] == ee["name"]
    (source,) = calls["inventory_source"]
    assert (source["source"], source["source_path"], source["credential"]) == (
        "scm", "inventories/openstack/deployment.yml", "371GPT OpenStack")
    assert source["source_vars"] == {"GPT371_DEPLOYMENT": "gpt371", "GPT371_ACCESS": "bastion"}

    templates = {c["name"]: c for c in calls["job_template"]}
    for jt in raw_assets["job_templates"]:
        call = templates[jt["name"]]
        assert call["playbook"] == jt["playbook"] and call["execution_environment"] == "371GPT EE"
        assert call["credentials"] == [c["name"] for c in jt["related"]["credentials"]], jt["name"]
        assert call["extra_vars"] == yaml.safe_load(jt["extra_vars"]), jt["name"]
        assert call.get("survey_spec") == jt["related"].get("survey_spec") and call["survey_enabled"] == \
            jt["survey_enabled"], jt["name"]
    assert {n for n, c in templates.items() if c.get("survey_spec")} == {"371GPT Scale", "371GPT Teardown"}
    # the Verify template's lookups reach AWX as text, to run in each job (not rendered here)
    expected = templates["371GPT Verify"]["extra_vars"]["verify_expected_env"]
    assert expected["DB_USER"] == "{{ lookup('ansible.builtin.env', 'DB_USER') }}"

    (workflow,) = calls["workflow_job_template"]
    nodes = {n["identifier"]: n for n in workflow["schema"]}
    assert [nodes[i]["unified_job_template"]["name"] for i in ("provision", "configure", "deploy", "verify")] == [
        "371GPT Provision", "371GPT Configure", "371GPT Deploy", "371GPT Verify"]
    chain = {i: [s["identifier"] for s in n["related"]["success_nodes"]] for i, n in nodes.items()}
    assert chain == {"provision": ["configure"], "configure": ["deploy"], "deploy": ["verify"], "verify": []}


def test_given_credential_inputs_update_that_credential_without_showing_them(tmp_path):
    secret = "s3cr3t-db-password-for-the-test"
    calls, stdout = _run(tmp_path, {"awx_configure_credential_inputs": {"371GPT database": {"password": secret}},
                                    "awx_configure_scm_url": "https://git.example.invalid/infra.git"})
    creds = {c["name"]: c for c in calls["credential"]}
    assert creds["371GPT database"]["inputs"] == {"user": "app", "password": secret}
    assert creds["371GPT database"]["update_secrets"] is True
    assert not any(c["update_secrets"] for n, c in creds.items() if n != "371GPT database")
    assert calls["project"][0]["scm_url"] == "https://git.example.invalid/infra.git"
    assert secret not in stdout
