# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests of the stack role's plan (module_utils/_stack_plan.py).

The probe outputs below were recorded on a gpt371-node:trixie container (Docker 26.1.5) running the reference
stack deployed by the role, in each state named; only the 64-hex checksums, config hashes and image ids are
replaced by <TOKENS> (the lines would be over 160 characters). The probe script itself is run by /bin/sh against a
temporary project directory with a stand-in `docker` on PATH.
"""

import json
import os
import stat
import subprocess

import pytest

from ansible_collections.gpt371.infra.plugins.module_utils import _stack_plan as sp

TOKENS = {
    '<SUM_COMPOSE>': '1a125c1f0a40cf9ba37a7d07b8b778e3ef53f4dc70517331f1b1819d922cf70c',
    '<SUM_ENV>': '21ec7e08b44afde18afca780488aec16f2a023d7fa3eb8b3a77bf6d1fe5e7360',
    '<SUM_ENV_BY_HAND>': '0bd8ac6dc46a2d7e9259985ac2ae103d0397273bcdc2aae9f8dc2f9660e92713',
    '<HASH_API>': '32713edb1d719453814b03fb54ea7730931d43c35a0a9beda418ac43b3fb8ddf',
    '<HASH_AGENT>': 'dc9ffcbb35dced4bb757593ddc41afe5bbba7e5188561e540daa770d34a5c46b',
    '<HASH_XPIPE>': 'e4b3549049eb56ce703b66a5f867a42748687f17fa1866dc1c1b8d7d9099a1f3',
    '<ID_API>': 'sha256:7317d187ebf05ad31b780097b75efad8355eec594f46f2be4a5356f0479fa1d5',
    '<ID_AGENT>': 'sha256:e54d4362a1051035e21e2b010aaef203c9e295d3b5fa29d07c2dcf1b38afa9db',
    '<ID_XPIPE>': 'sha256:52abc70dbf97f91fa9858f90d00d73932e83c6941ac256fbaf44354391750678',
}


def recorded(text):
    for token, value in TOKENS.items():
        text = text.replace(token, value)
    return text


RECORD = """\
M {"files": ["compose.yml"], "extra": [], "env_file": ".env", "sums": {"compose.yml": "<SUM_COMPOSE>", ".env": "<SUM_ENV>"}, "project": "gpt371-ref"}
R api <HASH_API> gpt371-ref-api:0.1
R agent-service <HASH_AGENT> gpt371-ref-agent:0.1
R xpipe <HASH_XPIPE> gpt371-ref-xpipe:0.1
R agent-service <HASH_AGENT> gpt371-ref-agent:0.1
R agent-service <HASH_AGENT> gpt371-ref-agent:0.1
"""
LIVE = """\
C api <HASH_API> gpt371-ref-api:0.1 gpt371-ref-api-1 running Up About a minute (healthy)
C agent-service <HASH_AGENT> gpt371-ref-agent:0.1 gpt371-ref-agent-service-2 running Up About a minute (healthy)
C xpipe <HASH_XPIPE> gpt371-ref-xpipe:0.1 gpt371-ref-xpipe-1 running Up About a minute (healthy)
C agent-service <HASH_AGENT> gpt371-ref-agent:0.1 gpt371-ref-agent-service-3 running Up About a minute (healthy)
C agent-service <HASH_AGENT> gpt371-ref-agent:0.1 gpt371-ref-agent-service-1 running Up About a minute (healthy)
"""
IMAGES = """\
I gpt371-ref-api:0.1 <ID_API>
I gpt371-ref-agent:0.1 <ID_AGENT>
I gpt371-ref-xpipe:0.1 <ID_XPIPE>
"""
# The converged reference stack, nothing changed since.
HEALTHY = recorded("P\nD\nF <SUM_COMPOSE>  compose.yml\nF <SUM_ENV>  .env\n" + RECORD + LIVE + IMAGES)
# A fresh host: no project directory, no containers, no images.
FRESH = ''
# The project directory elsewhere (stack_project_dir changed), the project's containers still running.
MISSING_DIR = recorded(LIVE)
# `.env` edited by hand and agent-service-3 removed (docker rm -f).
ENV_BY_HAND_AND_REMOVED = recorded(
    "P\nD\nF <SUM_COMPOSE>  compose.yml\nF <SUM_ENV_BY_HAND>  .env\n" + RECORD
    + '\n'.join(line for line in LIVE.splitlines() if 'agent-service-3' not in line) + '\n')
# api stopped (docker stop), a second xpipe whose healthcheck fails, a third still starting, a one-off
# `compose run` container (filtered out by the probe).
UNHEALTHY = recorded("P\nD\nF <SUM_COMPOSE>  compose.yml\nF <SUM_ENV>  .env\n" + RECORD + """\
C xpipe <HASH_XPIPE> gpt371-ref-xpipe:0.1 gpt371-ref-xpipe-8 running Up 5 seconds (health: starting)
C xpipe <HASH_XPIPE> gpt371-ref-xpipe:0.1 gpt371-ref-xpipe-9 running Up 5 seconds (unhealthy)
C api <HASH_API> gpt371-ref-api:0.1 gpt371-ref-api-1 exited Exited (143) 6 seconds ago
C agent-service <HASH_AGENT> gpt371-ref-agent:0.1 gpt371-ref-agent-service-2 running Up About a minute (healthy)
C xpipe <HASH_XPIPE> gpt371-ref-xpipe:0.1 gpt371-ref-xpipe-1 running Up About a minute (healthy)
C agent-service <HASH_AGENT> gpt371-ref-agent:0.1 gpt371-ref-agent-service-1 running Up About a minute (healthy)
C agent-service <HASH_AGENT> gpt371-ref-agent:0.1 gpt371-ref-agent-service-3 running Up About a minute (healthy)
""")
# `docker tag gpt371-ref-xpipe:0.1 gpt371-ref-api:0.1` on the host: api's container now shows its image by id.
MOVED_TAG = recorded("P\nD\nF <SUM_COMPOSE>  compose.yml\nF <SUM_ENV>  .env\n" + RECORD + """\
C api <HASH_API> 7317d187ebf0 gpt371-ref-api-1 running Up 3 seconds (healthy)
C agent-service <HASH_AGENT> gpt371-ref-agent:0.1 gpt371-ref-agent-service-2 running Up About a minute (healthy)
C xpipe <HASH_XPIPE> gpt371-ref-xpipe:0.1 gpt371-ref-xpipe-1 running Up About a minute (healthy)
C agent-service <HASH_AGENT> gpt371-ref-agent:0.1 gpt371-ref-agent-service-3 running Up About a minute (healthy)
C agent-service <HASH_AGENT> gpt371-ref-agent:0.1 gpt371-ref-agent-service-1 running Up About a minute (healthy)
I <none>:<none> <ID_API>
I gpt371-ref-agent:0.1 <ID_AGENT>
I gpt371-ref-api:0.1 <ID_XPIPE>
I gpt371-ref-xpipe:0.1 <ID_XPIPE>
""")
# dockerd stopped (kill of /var/run/docker.pid): docker ps and docker images fail, their stderr kept.
ENGINE_DOWN = recorded("P\nD\nF <SUM_COMPOSE>  compose.yml\nF <SUM_ENV>  .env\n" + RECORD + """\
E C Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?
X C 1
E I Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?
X I 1
""")

SUMS = {'compose.yml': TOKENS['<SUM_COMPOSE>']}
CONTROLLER = {'gpt371-ref-api:0.1': TOKENS['<ID_API>'], 'gpt371-ref-agent:0.1': TOKENS['<ID_AGENT>'],
              'gpt371-ref-xpipe:0.1': TOKENS['<ID_XPIPE>']}
REF_IMAGES = ['gpt371-ref-xpipe:0.1', 'gpt371-ref-api:0.1', 'gpt371-ref-agent:0.1']
NOT_RECORDED = 'no healthy deployment of this definition recorded'
CONTAINERS_DIFFER = 'containers differ from the recorded deployment'


def untagged(text):
    """The lines of a recorded section without their probe tag (what docker itself printed)."""
    return ''.join(line[2:] + '\n' for line in recorded(text).splitlines())


def plan(output, env_checksum=TOKENS['<SUM_ENV>'], images=None, **kwargs):
    """The role's plan for the reference stack (compose.yml, the role writes .env) against a probe output."""
    return sp.plan(sp.parse_probe(output), 'gpt371-ref', ['compose.yml'], [], '.env', dict(SUMS),
                   env_checksum=env_checksum, images=images, controller_images=CONTROLLER,
                   env_path='/opt/gpt371/stacks/gpt371-ref/.env', **kwargs)


# -- parsing the recorded outputs -------------------------------------------------------------------

def test_parse_the_converged_stack():
    have = sp.parse_probe(HEALTHY)
    assert have['project_dir'] and have['deployed_dir']
    assert have['sums'] == {'compose.yml': TOKENS['<SUM_COMPOSE>'], '.env': TOKENS['<SUM_ENV>']}
    assert have['manifest']['sums'] == have['sums'] and have['manifest']['files'] == ['compose.yml']
    assert len(have['recorded']) == 5 and len(have['containers']) == 5
    assert have['containers'][0] == {
        'service': 'api', 'config_hash': TOKENS['<HASH_API>'], 'image': 'gpt371-ref-api:0.1',
        'name': 'gpt371-ref-api-1', 'state': 'running', 'status': 'Up About a minute (healthy)', 'health': 'healthy'}
    assert have['images'] == CONTROLLER
    assert have['failures'] == {} and have['other'] == [] and have['manifest_error'] is None


def test_parse_a_pty_output_with_crlf():
    # Over SSH with a pty (ansible's ssh connection), lines end in CRLF and stderr is merged into stdout.
    have = sp.parse_probe(HEALTHY.replace('\n', '\r\n'))
    assert have == sp.parse_probe(HEALTHY)


def test_parse_keeps_unknown_lines_apart():
    have = sp.parse_probe('sudo: unable to resolve host node1\nC not a container line\n' + HEALTHY)
    assert have['other'] == ['sudo: unable to resolve host node1', 'C not a container line']
    assert len(have['containers']) == 5


def test_parse_a_manifest_that_is_not_json():
    have = sp.parse_probe('P\nD\nM {"files": [\n')
    assert have['manifest'] == {} and have['manifest_error'].startswith('not JSON')
    assert NOT_RECORDED in sp.plan(have, 'p', ['compose.yml'], [], '.env', dict(SUMS), env_checksum='e')['reasons']


@pytest.mark.parametrize('status, health', [
    ('Up About a minute (healthy)', 'healthy'),
    ('Up 5 seconds (unhealthy)', 'unhealthy'),
    ('Up 5 seconds (health: starting)', 'starting'),
    ('Up 2 hours', None),
    ('Exited (143) 6 seconds ago', None),
])
def test_health_from_status(status, health):
    assert sp.health(status) == health


# -- the plan against each recorded state ----------------------------------------------------------

def test_nothing_to_do_on_the_converged_stack():
    todo = plan(HEALTHY, images=REF_IMAGES)
    assert todo['reasons'] == [] and todo['errors'] == []
    assert todo['files'] == [] and todo['images'] == [] and todo['unhealthy'] == []
    # What would be recorded is what is recorded.
    assert todo['manifest'] == sp.parse_probe(HEALTHY)['manifest']


def test_a_fresh_host_needs_everything():
    todo = plan(FRESH, images=REF_IMAGES)
    assert todo['files'] == ['compose.yml', '.env']
    assert todo['images'] == REF_IMAGES
    assert todo['reasons'] == ['files differ: compose.yml, .env', 'images to ship: ' + ', '.join(REF_IMAGES),
                               NOT_RECORDED]
    assert todo['errors'] == []


def test_a_missing_project_directory_with_containers_still_running():
    todo = plan(MISSING_DIR)
    assert todo['files'] == ['compose.yml', '.env']
    assert todo['reasons'] == ['files differ: compose.yml, .env', NOT_RECORDED, CONTAINERS_DIFFER]


def test_a_missing_env_file_nobody_writes_is_an_error():
    todo = plan(FRESH, env_checksum=None)
    assert todo['errors'] == ['the env file /opt/gpt371/stacks/gpt371-ref/.env is missing (no env_checksum: the role'
                              ' writes it only from a non-empty stack_env, else app_env writes it)']


def test_a_changed_env_value_is_written_and_deployed():
    todo = plan(HEALTHY, env_checksum='f' * 64)
    assert todo['files'] == ['.env']
    assert todo['reasons'] == ['files differ: .env', NOT_RECORDED]
    assert todo['sums'] == {'compose.yml': TOKENS['<SUM_COMPOSE>'], '.env': 'f' * 64}
    assert todo['manifest']['sums'] == todo['sums']


def test_an_env_file_edited_by_hand_is_put_back_and_the_removed_container_recreated():
    todo = plan(ENV_BY_HAND_AND_REMOVED)
    assert todo['files'] == ['.env']
    assert todo['reasons'] == ['files differ: .env', CONTAINERS_DIFFER]


def test_an_env_file_another_role_wrote_is_the_wanted_one():
    # app_env wrote a new .env (stack_env empty): not copied, but the record no longer matches it.
    todo = plan(ENV_BY_HAND_AND_REMOVED, env_checksum=None)
    assert todo['files'] == [] and todo['errors'] == []
    assert todo['sums']['.env'] == TOKENS['<SUM_ENV_BY_HAND>']
    assert todo['reasons'] == [NOT_RECORDED, CONTAINERS_DIFFER]
    assert plan(HEALTHY, env_checksum=None)['reasons'] == []


def test_unhealthy_stopped_and_starting_containers():
    todo = plan(UNHEALTHY)
    assert todo['unhealthy'] == ['xpipe', 'api']
    assert todo['reasons'] == [CONTAINERS_DIFFER, 'not running or not healthy: xpipe, api']
    states = dict((c['name'], (c['state'], c['health'])) for c in sp.parse_probe(UNHEALTHY)['containers'])
    assert states['gpt371-ref-xpipe-8'] == ('running', 'starting')
    assert states['gpt371-ref-xpipe-9'] == ('running', 'unhealthy')
    assert states['gpt371-ref-api-1'] == ('exited', None)


def test_a_moved_image_tag_ships_the_image_and_recreates():
    todo = plan(MOVED_TAG, images=REF_IMAGES)
    assert todo['images'] == ['gpt371-ref-api:0.1']
    assert todo['reasons'] == ['images to ship: gpt371-ref-api:0.1', CONTAINERS_DIFFER]
    # Without shipping, the container still shows its image by id: not the recorded one.
    assert plan(MOVED_TAG)['reasons'] == [CONTAINERS_DIFFER]


def test_an_image_missing_on_the_controller_is_an_error():
    todo = sp.plan(sp.parse_probe(HEALTHY), 'gpt371-ref', ['compose.yml'], [], '.env', dict(SUMS),
                   env_checksum=TOKENS['<SUM_ENV>'], images=['gpt371-ref-api:0.2'], controller_images=CONTROLLER)
    assert todo['errors'] == ['gpt371-ref-api:0.2 is not on the controller (build it first, e.g. '
                              'examples/reference-stack/build.sh)']
    assert todo['images'] == []


@pytest.mark.parametrize('change, differs', [
    (lambda live: live, False),
    (lambda live: list(reversed(live)), False),                        # order does not matter
    (lambda live: live[:-1], True),                                    # a container removed
    (lambda live: live + live[-1:], True),                             # one more agent
    (lambda live: [live[0].replace('gpt371-ref-api:0.1', 'gpt371-ref-api:0.2')] + live[1:], True),
    (lambda live: [live[0].replace(TOKENS['<HASH_API>'], 'a' * 64)] + live[1:], True),   # another definition
])
def test_recorded_against_live_containers(change, differs):
    head = recorded("P\nD\nF <SUM_COMPOSE>  compose.yml\nF <SUM_ENV>  .env\n" + RECORD)
    todo = plan(head + '\n'.join(change(recorded(LIVE).splitlines())) + '\n')
    assert (CONTAINERS_DIFFER in todo['reasons']) is differs


def test_pull_always_always_deploys():
    assert plan(HEALTHY, pull='always')['reasons'] == ['pull is always']


def test_a_changed_definition_is_not_recorded():
    # Same files, but another list of compose files or extra files than the record's.
    have = sp.parse_probe(HEALTHY)
    todo = sp.plan(have, 'gpt371-ref', ['compose.yml'], ['extra.conf'], '.env', dict(SUMS),
                   env_checksum=TOKENS['<SUM_ENV>'])
    assert NOT_RECORDED in todo['reasons']


def test_without_the_host_only_the_controller_is_checked():
    todo = sp.plan(None, 'gpt371-ref', ['compose.yml'], [], '.env', dict(SUMS), env_checksum=None,
                   images=['gpt371-ref-api:0.1', 'nope:1'], controller_images=CONTROLLER)
    assert todo['reasons'] == [] and todo['files'] == [] and todo['images'] == []
    assert todo['errors'] == ['nope:1 is not on the controller (build it first, e.g. examples/reference-stack/build.sh)']


# -- errors: docker's own messages, named with the cause and the fix ----------------------------------

def test_an_engine_that_is_not_running():
    have = sp.parse_probe(ENGINE_DOWN)
    assert have['failures'] == {
        'C': {'rc': 1, 'lines': ['Cannot connect to the Docker daemon at unix:///var/run/docker.sock. '
                                 'Is the docker daemon running?']},
        'I': {'rc': 1, 'lines': ['Cannot connect to the Docker daemon at unix:///var/run/docker.sock. '
                                 'Is the docker daemon running?']}}
    message = ('the Docker engine on node1 is not running (socket unix:///var/run/docker.sock): '
               'start it, or run configure.yml')
    assert sp.probe_errors(have, 'node1', '/opt/x') == [message, message]


@pytest.mark.parametrize('rc, lines, expected', [
    # Recorded: a user outside the docker group (Docker 26.1.5 on the node, 28.2.2 on the controller).
    (1, ['permission denied while trying to connect to the Docker daemon socket at unix:///var/run/docker.sock: '
         'Get "http://%2Fvar%2Frun%2Fdocker.sock/v1.45/containers/json": dial unix /var/run/docker.sock: '
         'connect: permission denied'],
     'the Docker engine on node1 refused the connection (permission denied on socket unix:///var/run/docker.sock): '
     'run with become, or add the user to the docker group'),
    # Recorded: dash without docker on PATH.
    (127, ['sh: 1: docker: not found'],
     'the Docker CLI is not installed on node1: run configure.yml (the docker_host role installs it)'),
    # Recorded: DOCKER_HOST=ssh://root@127.0.0.1:1 (compose through the API, the host's sshd unreachable).
    (1, ['error during connect: Get "http://docker.example.com/v1.50/containers/json": command [ssh -o '
         'ConnectTimeout=30 -T -l root -p 1 -- 127.0.0.1 docker system dial-stdio] has exited with exit status 255, '
         'make sure the URL is valid, and Docker 18.09 or later is installed on the remote host: stderr=ssh: '
         'connect to host 127.0.0.1 port 1: Connection refused', ''],
     'docker ps failed on node1 (exit 1): error during connect: Get "http://docker.example.com/v1.50/containers/json": '
     'command [ssh -o ConnectTimeout=30 -T -l root -p 1 -- 127.0.0.1 docker system dial-stdio] has exited with exit '
     'status 255, make sure the URL is valid, and Docker 18.09 or later is installed on the remote host: stderr=ssh: '
     'connect to host 127.0.0.1 port 1: Connection refused'),
    # Through ssh:// with the remote engine down: the remote's message inside docker's.
    (1, ['error during connect: ... stderr=Cannot connect to the Docker daemon at unix:///var/run/docker.sock. '
         'Is the docker daemon running?'],
     'the Docker engine on node1 is not running (socket unix:///var/run/docker.sock): start it, or run configure.yml'),
])
def test_docker_errors_name_the_cause_and_the_fix(rc, lines, expected):
    assert sp.docker_error('docker ps', rc, lines, 'node1') == expected


def test_controller_errors_have_the_controller_fix():
    message = sp.docker_error('docker images', 1, ['Cannot connect to the Docker daemon at unix:///tmp/x.sock. '
                                                   'Is the docker daemon running?'], 'the controller', kind='controller')
    assert message == 'the Docker engine on the controller is not running (socket unix:///tmp/x.sock): start it (make engine)'


def test_a_failed_probe_shell_is_an_error():
    have = sp.parse_probe('sudo: a password is required\n')
    assert sp.probe_errors(have, 'node1', '/opt/x', rc=1) == [
        'the probe failed on node1 (exit 1): sudo: a password is required']


def test_a_project_directory_that_cannot_be_entered():
    have = sp.parse_probe('P\nX cd 2\n')
    assert sp.probe_errors(have, 'node1', '/opt/x', stderr='sh: 2: cd: can\'t cd to /opt/x\n') == [
        "entering the project directory /opt/x failed on node1 (exit 2): sh: 2: cd: can't cd to /opt/x"]


# -- variables ------------------------------------------------------------------------------------

def test_check_variables_accepts_the_defaults():
    assert sp.check_variables('gpt371-ref', ['compose.yml'], 120, False, [], []) == []


def test_check_variables_names_each_wrong_one():
    assert sp.check_variables('GPT', [], 0, True, [], ['/src/compose.yml']) == [
        "project_name must be a lowercase compose project name ([a-z0-9][a-z0-9_-]*), got 'GPT'",
        'compose_files is empty',
        'wait_timeout must be > 0, got 0',
        'images is empty while ship_images is true',
        'not on the controller: /src/compose.yml']


def test_sources_by_basename():
    assert sp.sources('/src/', ['compose.yml', '/abs/over.yml'], ['conf/app.conf', 'other/compose.yml']) == {
        'compose.yml': '/src/other/compose.yml', 'over.yml': '/abs/over.yml', 'app.conf': '/src/conf/app.conf'}


def test_sha256_file(tmp_path):
    (tmp_path / 'f').write_bytes(b'a\n')
    assert sp.sha256_file(str(tmp_path / 'f')) == '87428fc522803d31065e7bce3cf03fe475096631e5e07bbd7a0fde60c4cf25c7'
    assert sp.sha256_file(str(tmp_path / 'missing')) is None


def test_compose_argv():
    assert sp.compose_argv('gpt371-ref', '/opt/p', ['compose.yml', 'over.yml'], '.env') == [
        'docker', 'compose', '--project-name', 'gpt371-ref', '--project-directory', '/opt/p',
        '--env-file', '/opt/p/.env', '--file=/opt/p/compose.yml', '--file=/opt/p/over.yml']


# -- the probe and the record, run by /bin/sh with a stand-in docker ------------------------------------

FAKE_DOCKER = """#!/bin/sh
# Stand-in docker: `ps` prints $FAKE_PS (a file), `images` $FAKE_IMAGES; FAKE_DOWN=1 fails as a stopped engine.
if [ -n "$FAKE_DOWN" ]; then
  echo "Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?" >&2
  exit 1
fi
echo "$DOCKER_HOST $*" >> "$FAKE_LOG"
case "$1" in
  ps) cat "$FAKE_PS" ;;
  images) cat "$FAKE_IMAGES" ;;
esac
"""


@pytest.fixture
def shell(tmp_path):
    """Run a script with /bin/sh and a stand-in docker first on PATH; returns (rc, stdout, stderr)."""
    bindir = tmp_path / 'bin'
    bindir.mkdir()
    docker = bindir / 'docker'
    docker.write_text(FAKE_DOCKER)
    docker.chmod(docker.stat().st_mode | stat.S_IXUSR)
    (tmp_path / 'ps').write_text(untagged(LIVE))
    (tmp_path / 'images').write_text(untagged(IMAGES))

    def run(script, stdin=None, cwd=None, **env):
        environ = dict(os.environ, PATH='%s:%s' % (bindir, os.environ['PATH']), FAKE_PS=str(tmp_path / 'ps'),
                       FAKE_IMAGES=str(tmp_path / 'images'), FAKE_LOG=str(tmp_path / 'docker.log'))
        environ.pop('DOCKER_HOST', None)
        environ.update(env)
        proc = subprocess.run(['/bin/sh', '-c', script], input=stdin, cwd=cwd, env=environ, capture_output=True,
                              text=True, timeout=60, check=False)
        return proc.returncode, proc.stdout, proc.stderr
    return run


def test_the_probe_on_a_fresh_host(shell, tmp_path):
    rc, out, err = shell(sp.probe_command(str(tmp_path / 'project'), ['compose.yml', '.env'], 'gpt371-ref'))
    assert (rc, err) == (0, '')
    have = sp.parse_probe(out)
    assert not have['project_dir'] and have['sums'] == {} and len(have['containers']) == 5
    ps_args = (tmp_path / 'docker.log').read_text().split()
    assert ps_args == ['ps', '-a', '--filter', 'label=com.docker.compose.project=gpt371-ref',
                       '--filter', 'label=com.docker.compose.oneoff=False', '--format'] + sp.FMT_LIVE.split()


def test_the_record_is_what_the_next_probe_reads(shell, tmp_path):
    project = tmp_path / 'my project'
    (project / '.deployed').mkdir(parents=True)
    (project / 'compose.yml').write_text('a\n')
    (project / '.env').write_text('KEY=value\n')
    sums = {'compose.yml': sp.sha256_file(str(project / 'compose.yml'))}
    env_sum = sp.sha256_file(str(project / '.env'))
    names = ['compose.yml', '.env']

    rc, out, err = shell(sp.probe_command(str(project), names, 'gpt371-ref', read_images=True))
    assert (rc, err) == (0, '')
    first = sp.plan(sp.parse_probe(out), 'gpt371-ref', ['compose.yml'], [], '.env', sums, env_checksum=env_sum,
                    images=REF_IMAGES, controller_images=CONTROLLER)
    assert first['reasons'] == [NOT_RECORDED, CONTAINERS_DIFFER]

    # After a healthy up: record (the stand-in docker ps prints the live lines; the record keeps 3 fields each).
    (tmp_path / 'ps').write_text(''.join(' '.join(line.split(' ')[:3]) + '\n' for line in untagged(LIVE).splitlines()))
    rc, out, err = shell(sp.record_command(names, 'gpt371-ref'), stdin=json.dumps(first['manifest']), cwd=str(project))
    assert (rc, out, err) == (0, '', '')
    assert sorted(os.listdir(str(project / '.deployed'))) == ['.env', 'compose.yml', 'containers', 'manifest.json']

    (tmp_path / 'ps').write_text(untagged(LIVE))
    rc, out, err = shell(sp.probe_command(str(project), names, 'gpt371-ref', read_images=True))
    second = sp.plan(sp.parse_probe(out), 'gpt371-ref', ['compose.yml'], [], '.env', sums, env_checksum=env_sum,
                     images=REF_IMAGES, controller_images=CONTROLLER)
    assert second['reasons'] == [] and second['errors'] == []


def test_the_probe_keeps_docker_stderr_when_the_engine_is_down(shell, tmp_path):
    rc, out, err = shell(sp.probe_command(str(tmp_path), ['compose.yml'], 'gpt371-ref', read_images=True), FAKE_DOWN='1')
    assert (rc, err) == (0, '')
    have = sp.parse_probe(out)
    assert sorted(have['failures']) == ['C', 'I']
    assert sp.probe_errors(have, 'node1', str(tmp_path))[0].startswith('the Docker engine on node1 is not running')


def test_the_probe_and_the_record_talk_to_docker_host(shell, tmp_path):
    project = tmp_path / 'p'
    (project / '.deployed').mkdir(parents=True)
    (project / '.env').write_text('')
    shell(sp.probe_command(str(project), ['.env'], 'x', docker_host='ssh://root@10.0.0.5:22', read_images=True))
    shell(sp.record_command(['.env'], 'x', docker_host='ssh://root@10.0.0.5:22'), stdin='{}', cwd=str(project))
    calls = (tmp_path / 'docker.log').read_text().splitlines()
    assert [c.split()[:2] for c in calls] == [['ssh://root@10.0.0.5:22', 'ps'], ['ssh://root@10.0.0.5:22', 'images'],
                                              ['ssh://root@10.0.0.5:22', 'ps']]
