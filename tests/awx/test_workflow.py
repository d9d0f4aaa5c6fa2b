"""The AWX workflow "371GPT Provision, Configure, Deploy, Verify" on the lab, run the way AWX runs it.

Four jobs, each with its own fresh private data directory holding only what AWX gives a job (awx_jobs.py): a copy of
the project, the inventory the source of awx/assets.yml computed from the cloud just before the job, and what the
attached credentials inject (OpenStack clouds.yaml, the 371GPT database / storage / XPipe env, the Machine
credential's key through ssh-agent). Provision starts from an empty inventory (a new deployment); Configure,
Deploy and Verify find the servers in the cloud, by the deployment mark. No file passes between jobs: each
checkout copy is the project as it was (checked before and after each job) and Verify's JUnit report is that
job's artifact. The jobs run in gpt371-ee:0.1.0 (ansible-runner's process isolation with docker) unless
GPT371_AWX_JOBS_IN=venv runs them on the controller's venv.

One small deployment (agent_count 1): the four jobs, Scale 1 -> 2 -> 1 (survey agent_count, the inventory computed
before each job, as AWX does: scaling down, the job's later plays leave out the agent it deleted), then Verify
sliced in two (job_slice_count 2). The Teardown job deletes the deployment at the end, whatever happened.

What each job received and how long it took is written to tests/output/awx-workflow.json.
"""
import glob
import json
import os
import random
import subprocess
import uuid
import xml.etree.ElementTree as ET

import pytest
import yaml

import lab_profile
from awx_jobs import Workflow
from conftest import REPO

LAB_STATE = os.path.join(REPO, "lab", ".state")
IN_EE = os.environ.get("GPT371_AWX_JOBS_IN", "ee") != "venv"
RECORDS = os.path.join(REPO, "tests", "output", "awx-workflow.json")
FIXED = {"core", "xpipe", "kespa", "supabase"}


def _json(name):
    with open(os.path.join(LAB_STATE, name), encoding="utf-8") as fh:
        return json.load(fh)


@pytest.fixture(scope="module")
def lab():
    env = dict(os.environ, LAB_EVENT_DELAY="15")
    proc = subprocess.run(["bash", os.path.join(REPO, "lab", "lab.sh"), "up"], capture_output=True, text=True,
                          timeout=1200, check=False, env=env)
    assert proc.returncode == 0, "lab.sh up failed:\n" + (proc.stdout + proc.stderr)[-3000:]
    return LAB_STATE


@pytest.fixture(scope="module")
def reference_images():
    """The reference stack's images in the controller's engine (the Deploy job ships them to the servers)."""
    proc = subprocess.run(["bash", os.path.join(REPO, "examples", "reference-stack", "build.sh")],
                          capture_output=True, text=True, timeout=1800, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.fixture(scope="module")
def runner_image(request):
    return request.getfixturevalue("ee_image") if IN_EE else None


@pytest.fixture(scope="module")
def workflow(lab, reference_images, runner_image, assets, tmp_path_factory):
    work = tmp_path_factory.mktemp("awx-workflow")
    deployment = "gpt371-w" + uuid.uuid4().hex[:6]
    cidr = "10.%d.%d.0/24" % (random.randint(150, 199), random.randint(0, 255))
    # The user's own key: the Machine credential holds the private half, Provision gets the public half.
    key = os.path.join(str(work), "id_ed25519")
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", deployment, "-f", key], check=True)
    with open(key, encoding="utf-8") as fh:
        private_key = fh.read()
    with open(key + ".pub", encoding="utf-8") as fh:
        public_key = fh.read().strip()
    os.unlink(key)
    with open(os.path.join(lab, "clouds.yaml"), encoding="utf-8") as fh:
        auth = yaml.safe_load(fh)["clouds"]["gpt371-lab"]["auth"]
    cloud_inputs = {"host": auth["auth_url"], "username": auth["username"], "password": auth["password"],
                    "project": auth["project_name"], "domain": auth.get("user_domain_name", "Default"),
                    "project_domain_name": auth.get("project_domain_name", "Default"), "verify_ssl": False}
    s3, secrets = _json("s3.json"), _json("app-secrets.json")
    profile = lab_profile.render(deployment, cidr, str(work))
    credential_inputs = {
        "371GPT database": {"user": "gpt371", "password": secrets["db_password"]},
        "371GPT object storage": {"access_key": s3["access_key"], "secret_key": s3["secret_key"],
                                  "endpoint": profile["extra_vars"]["storage_endpoint_url"]},
        "371GPT XPipe API key": {"api_key": secrets["xpipe_api_key"]},
    }
    # The inventory source's variables, with this deployment's name (what an administrator edits in AWX).
    source_env = dict(yaml.safe_load(assets["inventory_sources"][0]["source_vars"]), GPT371_DEPLOYMENT=deployment)
    flow = Workflow(assets, str(work / "jobs"), cloud_inputs, credential_inputs, private_key, source_env,
                    ee_image=runner_image, group_vars=profile["group_vars"])
    # The lab's CA files the settings name: copied into each job's env/ (AWX: a credential type's file injector).
    flow.injected_files = lab_profile.lab_paths(profile)
    if runner_image:
        # The controller's engine, where the reference images the Deploy job ships live (AWX: images pulled from
        # a registry by the servers); the EE's user joins the socket's group.
        socket = "/var/run/docker.sock"
        flow.container_options += ["-v", "%s:%s" % (socket, socket), "--group-add", str(os.stat(socket).st_gid)]
    flow.launch_vars = dict(profile["extra_vars"])
    flow.secrets = [secrets["db_password"], s3["secret_key"], secrets["xpipe_api_key"], auth["password"],
                    private_key.strip().splitlines()[1]]
    flow.deployment, flow.public_key = deployment, public_key
    os.makedirs(os.path.join(REPO, "tests", "output"), exist_ok=True)
    try:
        yield flow
    finally:
        result, _record = flow.run_job("teardown", launch_vars=flow.launch_vars,
                                       survey_answers={"teardown_confirm": deployment})
        with open(RECORDS, "w", encoding="utf-8") as fh:
            json.dump({"deployment": deployment, "in_ee": bool(runner_image),
                       "jobs": [dict(r, private_data_dir=None, artifact_dir=None) for r in flow.records]}, fh, indent=1)
        assert result.status == "successful", "the Teardown job failed: " + result.stdout.read()[-3000:]


def check_job(flow, result, record):
    stdout = result.stdout.read()
    assert (result.status, result.rc) == ("successful", 0), "%s failed:\n%s" % (record["job"], stdout[-5000:])
    assert not [s for s in flow.secrets if s in stdout], "a secret in the output of " + record["job"]
    (stats,) = [e["event_data"] for e in result.events if e["event"] == "playbook_on_stats"]
    assert not stats["failures"] and not stats["dark"], stats
    # Nothing of the job went into its checkout; it kept only what AWX passes on: events, stdout, artifacts.
    assert record["written_into_checkout"] == [], record["written_into_checkout"]
    # Its private data directory held the inventory script and the credentials' files, nothing of another job.
    assert set(record["received"]["files_in_private_data_dir"]) == \
        {"inventory/hosts"} | set(record["received"]["credential_files"]), record["received"]
    if flow.ee_image:
        with open(os.path.join(record["artifact_dir"], "command"), encoding="utf-8") as fh:
            command = json.load(fh)["command"]
        assert command[:2] == ["docker", "run"] and flow.ee_image in command, command
    return stats


def junit(record):
    (path,) = glob.glob(os.path.join(record["artifact_dir"], "reports", "integration-report.xml"))
    tree = ET.parse(path).getroot()
    return tree, {case.get("classname") or case.get("name") for case in tree.iter("testcase")}


def test_four_jobs_provision_configure_deploy_verify(workflow):
    flow = workflow
    launch = dict(flow.launch_vars, agent_count=1, instances_public_key=flow.public_key)
    result, provision = flow.run_job("provision", launch_vars=launch)
    # A new deployment: the inventory computed before Provision has no server of it.
    assert provision["received"]["inventory"]["hosts"] == []
    check_job(flow, result, provision)
    records = {"provision": provision}
    for step in ("configure", "deploy", "verify"):
        result, record = flow.run_job(step, launch_vars=flow.launch_vars)
        # Each job's inventory came from the cloud before it started: the five servers Provision made.
        hosts = set(record["received"]["inventory"]["hosts"])
        assert {h[len(flow.deployment) + 1:] for h in hosts} == FIXED | {"agent-server-0"}, hosts
        check_job(flow, result, record)
        # ... and the job used it: servers.yml looks the servers up in the cloud only when the inventory has none.
        assert not [e for e in result.events if e["event"] == "runner_on_ok"
                    and e["event_data"].get("role") == "instances"], step
        records[step] = record
    # The credentials each template attaches reached the job (names only are recorded, never values).
    assert records["provision"]["received"]["credential_env"] == [
        "OS_CLIENT_CONFIG_FILE", "STORAGE_ACCESS_KEY", "STORAGE_ENDPOINT", "STORAGE_SECRET_KEY"]
    assert {"DB_PASSWORD", "STORAGE_SECRET_KEY", "XPIPE_API_KEY", "OS_CLIENT_CONFIG_FILE"} <= \
        set(records["configure"]["received"]["credential_env"])
    # Verify's JUnit report is its artifact, green, one test case or more per app host.
    tree, _cases = junit(records["verify"])
    assert tree.iter("testcase") and not list(tree.iter("failure")) and not list(tree.iter("error"))
    assert len(list(tree.iter("testcase"))) >= 4


def test_scale_up_and_down_with_the_inventory_of_before(workflow):
    flow = workflow
    for count in (2, 1):
        result, record = flow.run_job("scale", launch_vars=flow.launch_vars, survey_answers={"agent_count": count})
        before = [h for h in record["received"]["inventory"]["hosts"] if "agent-server" in h]
        stats = check_job(flow, result, record)
        # The inventory of before lists the agent this job deletes; no play of the job targets it afterwards
        # (it is in no host's stats: not ok, changed, skipped, failed or unreachable).
        if count < len(before):
            deleted = sorted(before)[count:]
            assert deleted == ["%s-agent-server-%d" % (flow.deployment, i) for i in range(count, len(before))]
            targeted = set().union(*(stats.get(key) or {} for key in ("ok", "changed", "skipped", "failures", "dark")))
            assert not targeted & set(deleted), (deleted, stats)
        after, _t = flow.inventory_update()
        agents = [h for h in after["_meta"]["hostvars"] if "agent-server" in h]
        assert len(agents) == count, agents


def test_verify_sliced_in_two(workflow):
    """job_slice_count: 2 on the Verify template: AWX runs two jobs, each with every other host (by name)."""
    flow = workflow
    inventory, _t = flow.inventory_update()
    slices = []
    for number in (1, 2):
        result, record = flow.run_job("verify", launch_vars=flow.launch_vars, inventory=inventory,
                                      slice_of=(number, 2))
        check_job(flow, result, record)
        slices.append(set(record["received"]["inventory"]["hosts"]))
        junit(record)
    assert slices[0] and slices[1] and not slices[0] & slices[1]
    assert slices[0] | slices[1] == set(inventory["_meta"]["hostvars"])
