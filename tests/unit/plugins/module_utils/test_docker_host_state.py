# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a Docker host differs in (the no-op gate of the docker_host role's writes): blocks, files, plugin, plan."""
import hashlib

from ansible_collections.gpt371.infra.plugins.module_utils._docker_host_state import (
    block_checksum, block_differs, block_in, file_differs, plan, plugin_differs, short_version)

MARKER = '# {mark} gpt371.infra.docker_host docker_host_daemon_env'
# /etc/default/docker as blockinfile leaves it: the package's own lines, then the managed block.
DEFAULT_DOCKER = ('# Docker Upstart and SysVinit configuration file\n'
                  '#DOCKER_OPTS="--dns 8.8.8.8"\n'
                  '# BEGIN gpt371.infra.docker_host docker_host_daemon_env\n'
                  'export A=1\n'
                  "export B='two words'\n"
                  '# END gpt371.infra.docker_host docker_host_daemon_env\n')
WANTED = "export A=1\nexport B='two words'\n"  # as the role renders it: a trailing newline


def sha1(text):
    return hashlib.sha1(text.encode()).hexdigest()


def test_the_block_is_the_lines_between_the_markers():
    assert block_in(DEFAULT_DOCKER, MARKER) == "export A=1\nexport B='two words'"
    assert block_in('#DOCKER_OPTS=\n', MARKER) is None
    # A BEGIN without its END is no block (blockinfile would write a whole new one).
    assert block_in(DEFAULT_DOCKER.rsplit('# END', 1)[0], MARKER) is None


def test_the_rendered_block_with_its_trailing_newline_matches_what_blockinfile_wrote():
    assert not block_differs(DEFAULT_DOCKER, MARKER, block_checksum(WANTED))


def test_an_edited_value_a_missing_block_or_file_differ():
    assert block_differs(DEFAULT_DOCKER.replace('A=1', 'A=0'), MARKER, block_checksum(WANTED))
    assert block_differs('#DOCKER_OPTS=\n', MARKER, block_checksum(WANTED))
    assert block_differs(None, MARKER, block_checksum(WANTED))


def test_no_wanted_block_means_it_must_be_absent():
    assert block_differs(DEFAULT_DOCKER, MARKER, None)
    assert not block_differs('#DOCKER_OPTS=\n', MARKER, None)
    assert not block_differs(None, MARKER, None)


def test_a_file_differs_when_missing_or_its_content_or_mode_differs():
    read = {'sha1': sha1('{}\n'), 'mode': '0644'}
    assert not file_differs(read, sha1('{}\n'), '0644')
    assert not file_differs(read, sha1('{}\n'), None)
    assert file_differs(read, sha1('{"debug": true}\n'), '0644')
    assert file_differs(read, sha1('{}\n'), '0600')
    assert file_differs(None, sha1('{}\n'), None)


def test_versions_as_compose_prints_them():
    assert short_version('2.40.3\n') == '2.40.3'
    assert short_version('v2.24.6') == '2.24.6'
    assert short_version('') is None
    assert short_version('docker: unknown command: docker compose') is None


def test_the_plugin_differs_in_version_mode_or_owner():
    ok = {'version': '2.40.3', 'mode': '0755', 'uid': 0}
    assert not plugin_differs(ok, '2.40.3')
    assert plugin_differs(dict(ok, version='2.39.0'), '2.40.3')
    assert plugin_differs(dict(ok, version=None), '2.40.3')  # not runnable
    assert plugin_differs(dict(ok, mode='0700'), '2.40.3')
    assert plugin_differs(dict(ok, uid=1000), '2.40.3')
    assert plugin_differs(None, '2.40.3')


def test_the_plan_names_what_differs_in_the_order_the_role_applies_it():
    assert plan([], [], [], [], False, True, True, True, True) == []
    assert plan(['python3-yaml'], ['/etc/docker/daemon.json'], ['/etc/default/docker'], ['deploy'], True,
                False, True, False, True) == ['packages', 'files', 'blocks', 'users', 'compose_plugin', 'service',
                                              'engine']
    # Unknown boot links: the service module settles them. Not read (None wanted): never planned.
    assert plan([], [], [], [], None, None, True, True, True) == ['service']
    assert plan([], [], [], [], None, None, None, False, None) == []
    # An engine that must be stopped and answers.
    assert plan([], [], [], [], False, True, True, True, False) == ['engine']
