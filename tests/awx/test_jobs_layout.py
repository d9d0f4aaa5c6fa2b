"""awx_jobs.Workflow without the lab: what a job's private data directory holds, and that the credentials reach
the inventory update and the job inside gpt371-ee:0.1.0.

The OpenStack credential names a cloud at 127.0.0.1:9 (nothing listens): the inventory update and the Provision job
both fail at their first OpenStack call, naming that address, which only the clouds.yaml the credential injected
holds. The Machine credential's key is loaded into ssh-agent inside the container. (The real runs: test_workflow.)
"""
import glob
import json
import os
import subprocess

import pytest
import yaml

from awx_jobs import Workflow, slice_inventory
from conftest import ASSETS

NOWHERE = "http://127.0.0.1:9/v3"


@pytest.fixture
def flow(ee_image, tmp_path):
    with open(ASSETS, encoding="utf-8") as fh:
        assets = yaml.safe_load(fh)
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(tmp_path / "key")], check=True)
    return Workflow(assets, str(tmp_path / "jobs"),
                    {"host": NOWHERE, "username": "u", "password": "a-cloud-password", "project": "p",
                     "domain": "Default"},
                    {"371GPT object storage": {"access_key": "ak", "secret_key": "a-storage-secret",
                                               "endpoint": "https://127.0.0.1:9"}},
                    (tmp_path / "key").read_text(encoding="utf-8"),
                    {"GPT371_DEPLOYMENT": "gpt371-layout", "GPT371_ACCESS": "bastion"}, ee_image=ee_image)


def test_the_inventory_update_reads_the_injected_cloud_in_the_ee(flow):
    with pytest.raises(AssertionError) as failed:
        flow.inventory_update()
    message = str(failed.value)
    assert "gpt371.infra.deployment: reading the servers of cloud '(default)' failed" in message
    assert "127.0.0.1', port=9" in message or "127.0.0.1:9" in message
    assert "a-cloud-password" not in message
    # the update's directory is gone, as AWX keeps only the parsed inventory
    assert os.listdir(flow.root) == []


def test_a_job_gets_the_project_the_inventory_and_the_credentials_only(flow):
    inventory = {"_meta": {"hostvars": {"h-core": {"gpt371_role": "core"}}}, "core": {"hosts": ["h-core"]},
                 "all": {"children": ["core", "ungrouped"]}}
    ca = os.path.join(os.path.dirname(flow.root), "ca.pem")
    with open(ca, "w", encoding="utf-8") as fh:
        fh.write("not a certificate\n")
    flow.injected_files = [ca]
    result, record = flow.run_job("provision", launch_vars={"infra_deployment": "gpt371-layout", "agent_count": 0,
                                                            "storage_ca_bundle": ca}, inventory=inventory)
    stdout = result.stdout.read()
    assert result.status == "failed"
    # it ran in the EE, with the key in ssh-agent and the cloud of the injected clouds.yaml
    with open(os.path.join(record["artifact_dir"], "command"), encoding="utf-8") as fh:
        command = json.load(fh)["command"]
    assert command[:2] == ["docker", "run"] and flow.ee_image in command
    assert "Identity added" in stdout
    assert "127.0.0.1', port=9" in stdout or "127.0.0.1:9" in stdout, stdout[-3000:]
    assert "a-cloud-password" not in stdout and "a-storage-secret" not in stdout
    # what the job received: the template's credential (env name and its file), the inventory script, the vars
    received = record["received"]
    # (the object storage: Provision takes the deployment's lock there)
    assert received["credential_env"] == ["OS_CLIENT_CONFIG_FILE", "STORAGE_ACCESS_KEY", "STORAGE_ENDPOINT",
                                          "STORAGE_SECRET_KEY"]
    assert received["files_in_private_data_dir"] == sorted(["inventory/hosts"] + received["credential_files"])
    assert received["inventory"]["hosts"] == ["h-core"]
    assert {"infra_cloud", "infra_deployment", "agent_count", "awx_job_id"} <= set(received["extra_vars"])
    assert record["written_into_checkout"] == []
    # a controller file the settings name travels like a credential's file: a copy in env/, the variable names it
    assert "env/file-ca.pem" in received["credential_files"]
    with open(os.path.join(record["private_data_dir"], "env", "extravars"), encoding="utf-8") as fh:
        assert yaml.safe_load(fh)["storage_ca_bundle"] == "/runner/env/file-ca.pem"
    # the roles ran from the job's checkout (the project linked as its requirements_collections)
    assert "/runner/requirements_collections/ansible_collections/gpt371/infra/roles/network/" in stdout
    assert glob.glob(os.path.join(record["private_data_dir"], "env", "tmp*"))


def test_job_slicing_splits_the_hosts_like_awx():
    inventory = {"_meta": {"hostvars": {n: {} for n in ("d-core", "d-xpipe", "d-kespa", "d-agent-server-0")}},
                 "app": {"hosts": ["d-core", "d-xpipe", "d-kespa", "d-agent-server-0"], "vars": {"x": 1}},
                 "core": {"hosts": ["d-core"]}}
    first, second = slice_inventory(inventory, 1, 2), slice_inventory(inventory, 2, 2)
    # sorted by name, every second one from the first / the second
    assert sorted(first["_meta"]["hostvars"]) == ["d-agent-server-0", "d-kespa"]
    assert sorted(second["_meta"]["hostvars"]) == ["d-core", "d-xpipe"]
    assert first["app"]["vars"] == second["app"]["vars"] == {"x": 1}
    assert first["core"]["hosts"] == [] and second["core"]["hosts"] == ["d-core"]
