"""awx/assets.yml: only what awxkit's import knows, and every reference exists (in the file, AWX or the repo)."""
import copy
import json
import os
import re

import pytest

from conftest import REPO, run_awxkit_check

# Objects every AWX has, which the file refers to without defining.
AWX_BUILTINS = (
    {"name": "Default", "type": "organization"},
    {"name": "OpenStack", "kind": "cloud", "type": "credential_type"},
)
WORKFLOW_ORDER = ["provision", "configure", "deploy", "verify"]
# Question keys of AWX's survey spec (awx.main.models.mixins.SurveyJobTemplateMixin; awxkit has none).
SURVEY_QUESTION_KEYS = {"question_name", "question_description", "required", "type", "variable", "min", "max",
                        "default", "choices", "new_question"}
SURVEY_TYPES = {"text", "textarea", "password", "integer", "float", "multiplechoice", "multiselect"}
EXPECTED_SURVEYS = {"scale": ("agent_count", "integer"), "teardown": ("teardown_confirm", "text")}


def test_awxkit_accepts_the_file(awxkit_report):
    assert awxkit_report["errors"] == []
    kinds = set(awxkit_report["assets"])
    assert kinds <= set(awxkit_report["exportable_resources"])
    assert {"credential_types", "job_templates", "workflow_job_templates"} <= kinds


@pytest.mark.parametrize("mutation, message", [
    (lambda d: d.update(job_template=[]), "not a resource kind awxkit imports"),
    (lambda d: d["job_templates"][0].update(playbook_path="x.yml"), "field 'playbook_path' is unknown"),
    (lambda d: d["credential_types"][0].update(injector={}), "field 'injector' is unknown"),
    (lambda d: d["job_templates"][0]["related"].update(hosts=[]), "neither exports nor imports related 'hosts'"),
    (lambda d: d["job_templates"][0]["natural_key"].update(type="jobtemplate"), "no natural key for type"),
    (lambda d: d["job_templates"][0]["related"]["credentials"][0].update(type="credential_type"),
     "where credentials expects Credential"),
])
def test_the_check_catches_what_awxkit_would_drop(assets, tmp_path, mutation, message):
    """The introspection is not vacuous: each kind of mistake is reported."""
    broken = copy.deepcopy(assets)
    mutation(broken)
    path = tmp_path / "assets.json"
    path.write_text(json.dumps(broken))
    errors = run_awxkit_check(str(path))["errors"]
    assert any(message in e for e in errors), errors


def _same(key, other):
    return json.dumps(key, sort_keys=True) == json.dumps(other, sort_keys=True)


def test_every_reference_resolves(awxkit_report):
    defined = awxkit_report["defined"] + list(AWX_BUILTINS)
    unresolved = [r for r in awxkit_report["references"] if not any(_same(r["key"], d) for d in defined)]
    assert unresolved == []


def test_credential_types_are_ours_and_referenced(assets):
    names = {ct["name"] for ct in assets["credential_types"]}
    assert names == {"371GPT database", "371GPT object storage", "371GPT XPipe API key"}
    used = {c["credential_type"]["name"] for jt in assets["job_templates"] for c in jt["related"]["credentials"]}
    assert names | {"OpenStack"} == used
    for ct in assets["credential_types"]:
        ids = [f["id"] for f in ct["inputs"]["fields"]]
        assert set(ct["inputs"].get("required", [])) <= set(ids)
        for template in ct["injectors"]["env"].values():  # every template uses a declared input
            assert set(re.findall(r"{{\s*(\w+)", template)) <= set(ids), template


def test_credentials_ship_no_secret(assets):
    secret_ids = {ct["name"]: {f["id"] for f in ct["inputs"]["fields"] if f.get("secret")}
                  for ct in assets["credential_types"]}
    secret_ids["OpenStack"] = {"password"}
    for cred in assets["credentials"]:
        for field in secret_ids[cred["credential_type"]["name"]]:
            assert cred["inputs"].get(field, "") in ("", "CHANGE-ME", "$encrypted$"), cred["name"]


def test_job_templates(assets, job_templates):
    assert sorted(job_templates) == sorted(["provision", "configure", "deploy", "verify", "scale", "teardown",
                                            "backup"])
    assert {jt["name"] for jt in assets["job_templates"]} == {"371GPT " + k.capitalize() for k in job_templates}
    project_keys = [p["natural_key"] for p in assets["projects"]]
    inventory_keys = [i["natural_key"] for i in assets["inventory"]]
    for jt in assets["job_templates"]:
        assert any(_same(jt["project"], k) for k in project_keys), jt["name"]
        assert any(_same(jt["inventory"], k) for k in inventory_keys), jt["name"]
        assert jt["related"]["credentials"], jt["name"]


def test_playbooks_exist(job_templates):
    """Fails until every playbook the job templates run is in the repository."""
    missing = sorted(jt["playbook"] for jt in job_templates.values()
                     if not os.path.isfile(os.path.join(REPO, jt["playbook"])))
    assert missing == [], "job templates name playbooks that are not in the repository"


def test_inventory_source_exists(assets):
    for source in assets["inventory_sources"]:
        assert source["source"] == "scm"
        assert os.path.exists(os.path.join(REPO, source["source_path"])), source["source_path"]


def _repo_mentions(variable):
    pattern = re.compile(r"\b%s\b" % re.escape(variable))
    for top in ("playbooks", "roles", "inventories", "site.yml"):
        for root, _dirs, files in os.walk(os.path.join(REPO, top)) if top != "site.yml" else [(REPO, [], [top])]:
            for name in files:
                path = os.path.join(root, name)
                if name.endswith((".yml", ".yaml", ".j2")) and os.path.isfile(path):
                    with open(path, encoding="utf-8") as fh:
                        if pattern.search(fh.read()):
                            return True
    return False


@pytest.mark.parametrize("playbook", sorted(EXPECTED_SURVEYS))
def test_surveys(job_templates, playbook):
    jt = job_templates[playbook]
    variable, qtype = EXPECTED_SURVEYS[playbook]
    assert jt["survey_enabled"] is True
    spec = jt["related"]["survey_spec"]["spec"]
    assert [(q["variable"], q["type"]) for q in spec] == [(variable, qtype)]
    for question in spec:
        assert set(question) <= SURVEY_QUESTION_KEYS
        assert question["type"] in SURVEY_TYPES
        assert question["required"] is True
    assert _repo_mentions(variable), "no playbook, role or inventory reads %s" % variable


def test_scale_survey_and_scale_yml_agree_on_the_range(job_templates):
    """issue 11: the survey offers exactly what scale.yml accepts (0 agent servers is a valid scale)."""
    (question,) = job_templates["scale"]["related"]["survey_spec"]["spec"]
    with open(os.path.join(REPO, "playbooks", "scale.yml"), encoding="utf-8") as fh:
        accepted = re.compile(re.search(r"is match\('([^']+)'\)", fh.read()).group(1))
    assert accepted.match(str(question["min"])) and not accepted.match(str(question["min"] - 1))
    assert accepted.match(str(question["max"])) and question["min"] == 0


def test_no_other_job_template_has_a_survey(job_templates):
    for name, jt in job_templates.items():
        if name not in EXPECTED_SURVEYS:
            assert not jt["survey_enabled"] and "survey_spec" not in jt["related"], name


def test_workflow_provision_configure_deploy_verify(assets, job_templates):
    (workflow,) = assets["workflow_job_templates"]
    nodes = {n["identifier"]: n for n in workflow["related"]["workflow_nodes"]}
    names = {k: jt["name"] for k, jt in job_templates.items()}
    for node in nodes.values():
        assert _same(node["natural_key"]["workflow_job_template"], workflow["natural_key"])
    # follow success_nodes from the one node no other node points to
    targets = {s["identifier"] for n in nodes.values() for s in n["related"]["success_nodes"]}
    (start,) = set(nodes) - targets
    chain, node = [], nodes[start]
    while True:
        chain.append(node["unified_job_template"]["name"])
        assert node["related"]["failure_nodes"] == [] and node["related"]["always_nodes"] == []
        nxt = node["related"]["success_nodes"]
        if not nxt:
            break
        assert len(nxt) == 1 and _same(nxt[0]["workflow_job_template"], workflow["natural_key"])
        node = nodes[nxt[0]["identifier"]]
    assert chain == [names[step] for step in WORKFLOW_ORDER]
