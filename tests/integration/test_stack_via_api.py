"""stack role with stack_via_api: compose runs on the controller against the node's engine over ssh://.

A gpt371-node container with an inner Docker engine (no images, no project files) is reached over SSH with a
generated key; the reference stack is deployed from the controller: the images are loaded through the Docker
API with paramiko, the project directory and its .deployed/ record live on the controller, compose talks to
the node's engine through the system ssh. A re-run must change nothing and keep every container.
"""
import json
import os
import re

import pytest

from stack_node import REF_IMAGES, docker, reference_play, started_node


@pytest.fixture
def api_node(repo_root, tmp_path):
    with started_node(str(tmp_path), 'gpt371-test-stackapi') as node:
        yield node


def _containers(node):
    fmt = '{{.ID}} {{.Label "com.docker.compose.service"}} {{.State}} {{.Status}}'
    out = node.ssh(f"docker ps -a --no-trunc --filter label=com.docker.compose.project=gpt371-ref --format '{fmt}'")
    return sorted(line.split(' ', 3) for line in out.stdout.splitlines())


def _recap(output):
    m = re.search(r'ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)', output)
    assert m, output[-3000:]
    return {k: int(v) for k, v in zip(('ok', 'changed', 'unreachable', 'failed'), m.groups())}


def test_stack_via_api_deploys_healthy_and_reruns_as_a_no_op(api_node, run_playbook, tmp_path):
    node = api_node
    workdir = tmp_path / 'project'
    playbook = tmp_path / 'stack_via_api.yml'
    playbook.write_text(reference_play('Deploy the reference stack through the Docker API', tmp_path / 'images',
                                       secret='api', stack_via_api=True, stack_api_workdir=str(workdir)))
    images = node.ssh("docker images -q --filter 'reference=gpt371-ref-*'").stdout.strip()
    assert images == '', 'the node starts without the images'

    first = run_playbook(str(playbook), inventory=node.inventory, env=node.api_env(), timeout=900)
    assert first.returncode == 0, first.output[-5000:]
    assert _recap(first.output)['changed'] > 0

    # Images came through the API with their controller ids; nothing of the project was written on the node.
    for image in REF_IMAGES:
        want = docker('image', 'inspect', '--format', '{{.Id}}', image).stdout.strip()
        assert node.ssh(f'docker image inspect --format "{{{{.Id}}}}" {image}').stdout.strip() == want, image
    assert node.ssh('test -e /opt/gpt371/stacks', check=False).returncode != 0
    manifest = json.loads((workdir / '.deployed' / 'manifest.json').read_text())
    assert manifest['files'] == ['compose.yml'] and manifest['env_file'] == '.env'
    assert oct((workdir / '.env').stat().st_mode & 0o777) == '0o600'

    containers = _containers(node)
    services = sorted(c[1] for c in containers)
    assert services == ['agent-service'] * 3 + ['api', 'xpipe'], containers
    assert all(c[2] == 'running' and '(healthy)' in c[3] for c in containers), containers
    health = node.ssh("curl -sf -H 'X-API-Key: api-xpipe-key' http://127.0.0.1:8080/health")
    body = json.loads(health.stdout)
    assert body['status'] == 'ok' and body['db']['reachable'] and body['db']['host'] == node.ip, body

    again = run_playbook(str(playbook), inventory=node.inventory, env=node.api_env(), timeout=600)
    assert again.returncode == 0, again.output[-5000:]
    assert _recap(again.output)['changed'] == 0, again.output[-5000:]
    assert [c[0] for c in _containers(node)] == [c[0] for c in containers], 'the re-run recreated containers'
    assert os.path.exists(workdir / '.deployed' / 'containers')
