"""The stack role on a real node whose Docker engine is stopped: the plan fails once, before shipping anything, with
the cause and the fix ("the Docker engine on node is not running ...: start it, or run configure.yml"), and the fix
it names works (the docker_host role starts the engine; the stack then deploys).

Before, the probe hid docker's stderr, read "no containers, no images", copied the whole image archive and failed
in the load with "Error while fetching server API version ... FileNotFoundError".
"""
import time

import pytest

from stack_node import reference_play, started_node

MESSAGE = ('stack gpt371 on node: the Docker engine on node is not running (socket unix:///var/run/docker.sock): '
           'start it, or run configure.yml')


@pytest.fixture
def node(repo_root, tmp_path):
    with started_node(str(tmp_path), 'gpt371-test-enginedown') as n:
        yield n


def stop_engine(node, timeout=60):
    # dockerd was started by docker_host with start-stop-daemon (no systemd in the node); its own pid file.
    node.ssh('kill "$(cat /var/run/docker.pid)"')
    deadline = time.monotonic() + timeout
    while node.ssh('docker version --format "{{.Server.Version}}"', check=False).returncode == 0:
        assert time.monotonic() < deadline, f'dockerd on {node.name} still answers after {timeout} s'
        time.sleep(1)


def test_a_stopped_engine_is_named_before_any_image_is_shipped(node, run_playbook, tmp_path):
    stop_engine(node)
    playbook = tmp_path / 'stack.yml'
    playbook.write_text(reference_play('The reference stack', tmp_path / 'images', secret='down',
                                       stack_project_name='gpt371'))

    down = run_playbook(str(playbook), inventory=node.inventory, timeout=600)
    assert down.returncode != 0, down.output[-4000:]
    assert MESSAGE in down.output, down.output[-4000:]
    assert 'FileNotFoundError' not in down.output
    # Nothing was shipped: the failure comes from the plan, before apply.yml.
    assert 'Copy the archive to the host' not in down.output
    assert not (tmp_path / 'images').exists()
    assert node.ssh('ls /var/tmp/gpt371-gpt371-images.tar', check=False).returncode != 0

    node.prepare()  # "run configure.yml": its docker_host role starts the engine
    healed = run_playbook(str(playbook), inventory=node.inventory, timeout=900)
    assert healed.returncode == 0, healed.output[-5000:]
    assert node.ssh('docker compose -p gpt371 ps --status running -q | wc -l').stdout.strip() != '0'
