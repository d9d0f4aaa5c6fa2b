# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The docker_host role's precheck on this controller (Debian, x86_64): one check names an unsupported input or
a Compose source this release does not have, before anything is read or written on the host."""

PLAYBOOK = """
- hosts: localhost
  gather_facts: false
  tasks:
    - ansible.builtin.setup:
        gather_subset: [min]
    - ansible.builtin.include_role:
        name: gpt371.infra.docker_host
      vars:
        docker_host_action: precheck
    - ansible.builtin.debug:
        msg: "compose source {{ docker_host__compose_source }}"
"""


def precheck(run_playbook, tmp_path, **extra):
    playbook = tmp_path / 'precheck.yml'
    playbook.write_text(PLAYBOOK)
    return run_playbook(str(playbook), extra_vars=extra)


def test_auto_resolves_a_source_and_passes(run_playbook, tmp_path):
    result = precheck(run_playbook, tmp_path)
    assert result.returncode == 0, result.output[-3000:]
    assert 'compose source pypi' in result.output or 'compose source distribution' in result.output


def test_an_unsupported_input_is_named_with_the_choices(run_playbook, tmp_path):
    # (The role's argument spec answers first; the check repeats it for a role run without argument validation.)
    result = precheck(run_playbook, tmp_path, docker_host_compose_source='brew')
    assert result.returncode != 0
    assert 'docker_host_compose_source must be one of: auto, distribution, docker_repo,' in result.output


def test_a_compose_source_the_release_lacks_is_named(run_playbook, tmp_path):
    result = precheck(run_playbook, tmp_path, docker_host_compose_source='distribution',
                      docker_host_distribution_compose_packages={})
    assert result.returncode != 0
    assert "Compose v2 from 'distribution' is not available on Debian" in result.output, result.output[-3000:]
    assert 'docker_host supports' not in result.output
