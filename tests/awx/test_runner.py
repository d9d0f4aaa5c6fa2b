"""The Verify job template run the way AWX runs a job: ansible-runner, a private data dir holding a copy of
the project, an inventory, the template's extra vars plus launch vars, and the env the attached
credentials inject. Against real local services (PostgreSQL + pgvector, S3 (moto), the XPipe stand-in).

test_verify_job_in_the_execution_environment repeats it inside the EE image with ansible-runner's process
isolation (docker), as an AWX execution node does. `images/build.sh ee` builds the image first (cached: it
only rebuilds when the build context - definition, requirements, the collection - changed); a missing Docker
engine or a failed build fails the test, naming the cause.
"""
import glob
import json
import os
import re
import shutil
import sys
import uuid
import xml.etree.ElementTree as ET

import ansible_runner
import pytest

from awx_injection import launch_extra_vars, render_injectors
from awx_jobs import ignore_in_checkout
from conftest import REPO

sys.path.insert(0, os.path.join(REPO, "tests", "integration"))
from services.local import LocalServices  # noqa: E402  pylint: disable=wrong-import-position

VENV_BIN = os.path.dirname(sys.executable)


@pytest.fixture(scope="module")
def services(tmp_path_factory):
    local = LocalServices(str(tmp_path_factory.mktemp("awx-services")))
    try:
        yield local.start()
    finally:
        local.stop()


def _credential_inputs(services):
    return {
        "371GPT database": {"user": services["pg"]["user"], "password": services["pg"]["password"]},
        "371GPT object storage": {"access_key": services["s3"]["access_key"],
                                  "secret_key": services["s3"]["secret_key"],
                                  "endpoint": services["s3"]["endpoint_https"]},
        "371GPT XPipe API key": {"api_key": services["xpipe"]["api_key"]},
    }


def _secrets(services):
    return [services["pg"]["password"], services["s3"]["secret_key"], services["xpipe"]["api_key"]]


def prepare_job(assets, job_template, services, pdd, inside="", python=None, collections=True):
    """Lay out a private data dir like AWX; return ansible_runner.run() kwargs. `inside` is the path the
    private data dir has where the job runs ("" = here, "/runner" in the EE)."""
    root = inside or pdd
    shutil.copytree(REPO, os.path.join(pdd, "project"), symlinks=True,
                    ignore=ignore_in_checkout)
    shutil.copy(services["ca_cert"], os.path.join(pdd, "ca.crt"))
    # The .env the Configure job writes on each app host (the verify role reads it, as the guide's checks did).
    url = services["xpipe"]["url_https"].rsplit(":", 1)
    dotenv = {
        "DB_HOST": services["pg"]["host"], "DB_PORT": services["pg"]["port"], "DB_NAME": services["pg"]["dbname"],
        "DB_USER": services["pg"]["user"], "DB_PASSWORD": services["pg"]["password"],
        "STORAGE_ENDPOINT": services["s3"]["endpoint_https"], "STORAGE_BUCKET": services["s3"]["bucket"],
        "STORAGE_ACCESS_KEY": services["s3"]["access_key"], "STORAGE_SECRET_KEY": services["s3"]["secret_key"],
        "XPIPE_HOST": url[0].split("//")[1], "XPIPE_PORT": url[1], "XPIPE_API_KEY": services["xpipe"]["api_key"],
    }
    with open(os.path.join(pdd, "app.env"), "w", encoding="utf-8") as fh:
        fh.write("".join("%s=%s\n" % kv for kv in dotenv.items()))
    # AWX's inventory: one host in the group the Verify play targets.
    os.makedirs(os.path.join(pdd, "inventory"))
    with open(os.path.join(pdd, "inventory", "hosts.json"), "w", encoding="utf-8") as fh:
        json.dump({"all": {"children": {"app": {"hosts": {"app-1": {
            "ansible_connection": "local", "ansible_host": "127.0.0.1",
            "ansible_python_interpreter": python or sys.executable}}}}}}, fh)
    envvars = {"ANSIBLE_FORCE_COLOR": "0", "ANSIBLE_NOCOLOR": "1"}
    by_name = {ct["name"]: ct for ct in assets["credential_types"]}
    inputs = _credential_inputs(services)
    for cred in job_template["related"]["credentials"]:
        ctype = cred["credential_type"]["name"]
        if ctype in by_name:
            env, extra, files = render_injectors(by_name[ctype], inputs[ctype], pdd)
            assert not extra and not files
            envvars.update(env)
    # Where AWX puts the project's collections; here: the project itself is gpt371.infra.
    paths = ["/usr/share/ansible/collections"]
    if collections:
        link = os.path.join(pdd, "requirements_collections", "ansible_collections", "gpt371", "infra")
        os.makedirs(os.path.dirname(link))
        os.symlink(os.path.join("..", "..", "..", "project"), link)
        paths.insert(0, os.path.join(root, "requirements_collections"))
    envvars["ANSIBLE_COLLECTIONS_PATH"] = ":".join(paths)
    if not inside:
        envvars["PATH"] = VENV_BIN + os.pathsep + os.environ.get("PATH", "")
    extravars = launch_extra_vars(job_template, launch_vars={
        "verify_env_file": os.path.join(root, "app.env"),
        "verify_ca_cert": os.path.join(root, "ca.crt"),
        "verify_install_probe_deps": False,
        "verify_pg_ssl_mode": "verify-full",
        # app-1 runs no compose stack: the point "services" (containers hold the .env) has nothing to read.
        "verify_points": ["database", "storage", "xpipe"],
    })
    extravars.update({"awx_job_template_name": job_template["name"], "tower_job_template_name": job_template["name"],
                      "awx_job_id": 1, "awx_project_revision": "test"})
    return {"private_data_dir": pdd, "playbook": job_template["playbook"],
            "inventory": os.path.join(root, "inventory", "hosts.json"), "envvars": envvars,
            "extravars": extravars, "quiet": True, "timeout": 600}


def check_job(result, pdd, services):
    stdout = result.stdout.read()
    assert (result.status, result.rc) == ("successful", 0), stdout[-3000:]
    events = list(result.events)
    kinds = {e["event"] for e in events}
    assert {"playbook_on_start", "playbook_on_play_start", "runner_on_ok", "playbook_on_stats"} <= kinds
    # verify probes every point from the app host in one host_probes run: each wanted point came back ok
    (probed,) = [e["event_data"]["res"] for e in events if e["event"] == "runner_on_ok"
                 and e["event_data"].get("task_action") == "gpt371.infra.host_probes"]
    assert {p: r.get("ok") for p, r in probed["probes"].items()} == \
        {"database": True, "storage": True, "xpipe": True}, probed["probes"]
    (stats,) = [e for e in events if e["event"] == "playbook_on_stats"]
    assert not stats["event_data"]["failures"] and not stats["event_data"]["dark"]
    # set_stats: what AWX shows as the job's artifacts and hands to the workflow's next node
    verdict = stats["event_data"].get("artifact_data", {}).get("gpt371_verify")
    assert verdict and verdict["ok"] is True and verdict["summary"]["failed"] == 0, stats["event_data"]
    # the artifacts AWX keeps: job events and stdout, without a secret in them
    job_events = glob.glob(os.path.join(pdd, "artifacts", "*", "job_events", "*.json"))
    assert len(job_events) == len(events)
    blob = stdout + json.dumps([e for e in events if e["event"] != "playbook_on_start"])
    leaked = [s for s in _secrets(services) if s in blob]
    assert not leaked, "secrets in job output"
    # the JUnit report of the verify play: the job's artifact (the template's verify_report_dir), not a project file
    (report,) = glob.glob(os.path.join(pdd, "artifacts", "*", "reports", "integration-report.xml"))
    assert not glob.glob(os.path.join(pdd, "project", "reports"))
    tree = ET.parse(report).getroot()
    cases = tree.findall(".//testcase")
    assert len(cases) >= 3
    assert not tree.findall(".//failure") and not tree.findall(".//error")
    assert not any(s in open(report, encoding="utf-8").read() for s in _secrets(services))
    return events


def test_verify_job_template_runs_like_an_awx_job(assets, job_templates, services, tmp_path):
    kwargs = prepare_job(assets, job_templates["verify"], services, str(tmp_path))
    # the credentials really reached the run: the template compares the .env with them
    assert kwargs["extravars"]["verify_expected_env"]
    check_job(ansible_runner.run(**kwargs), str(tmp_path), services)


def test_a_stale_secret_in_the_env_file_is_named(assets, job_templates, services, tmp_path):
    """The Verify template compares each .env with the attached credentials: a .env holding an old storage
    secret fails the storage check, and the report says which key differs from the credential."""
    pdd = str(tmp_path)
    kwargs = prepare_job(assets, job_templates["verify"], services, pdd)
    env_file = os.path.join(pdd, "app.env")
    with open(env_file, encoding="utf-8") as fh:
        text = fh.read().replace(services["s3"]["secret_key"], "an-old-secret")
    with open(env_file, "w", encoding="utf-8") as fh:
        fh.write(text)
    result = ansible_runner.run(**kwargs)
    stdout = result.stdout.read()
    assert result.status == "failed", stdout[-2000:]
    (report_json,) = glob.glob(os.path.join(pdd, "artifacts", "*", "reports", "integration-report.json"))
    with open(report_json, encoding="utf-8") as fh:
        report = json.load(fh)
    rows = {row["point"]: row for row in report["rows"]}
    assert rows["database"]["ok"] and rows["xpipe"]["ok"] and not rows["storage"]["ok"]
    assert "configure.yml" in rows["storage"]["fix"], rows["storage"]  # rewrite the .env, not the secret
    assert not [s for s in _secrets(services) + ["an-old-secret"] if s in stdout + json.dumps(report)]


def test_verify_job_in_the_execution_environment(assets, job_templates, services, ee_image, tmp_path):
    pdd = str(tmp_path)
    kwargs = prepare_job(assets, job_templates["verify"], services, pdd, inside="/runner",
                         python="/usr/bin/python3", collections=False)
    kwargs.update(process_isolation=True, process_isolation_executable="docker", container_image=ee_image,
                  container_options=["--network=host", "--name", "gpt371-awx-job-" + uuid.uuid4().hex[:12]],
                  verbosity=2)
    events = check_job(ansible_runner.run(**kwargs), pdd, services)
    # It ran in the image, not here: runner's recorded command is a `docker run` of the EE, and the facts of
    # the host (the container, connection local) are Debian 13's with the image's Python.
    (command_file,) = glob.glob(os.path.join(pdd, "artifacts", "*", "command"))
    with open(command_file, encoding="utf-8") as fh:
        command = json.load(fh)["command"]
    assert command[:2] == ["docker", "run"] and ee_image in command and "--network=host" in command, command
    # verify's play gathers no facts: ansible-playbook's own banner (verbosity 2) names the Python it ran
    # with, the image's Debian 13 one, not this machine's 3.12 venv.
    banner = "\n".join(e.get("stdout", "") for e in events if e["event"] == "verbose")
    assert re.search(r"python version = 3\.13\.", banner), banner[:2000]
    assert "/usr/bin/python3" in banner or "executable location = /usr/" in banner, banner[:2000]
