"""A node container with an inner Docker engine, reached over SSH, for the stack role's test and benchmark.

    node = StackNode(workdir, prefix='gpt371-test-stack')
    node.start()          # docker run gpt371-node:<suite> (sshd, key from NODE_AUTHORIZED_KEY), then the
                          # docker_host role installs the engine and Compose (same daemon env as Molecule)
    node.inventory        # inventory file: the node in app_hosts over ssh with the generated key
    node.ssh(cmd)         # run a shell command on the node with the same SSH options Ansible uses
    node.api_env()        # environment for stack_via_api: HOME with ~/.ssh (config, key, known_hosts) for
                          # paramiko, and an `ssh` first in PATH that reads that config (the Docker CLI runs
                          # the system ssh, which takes ~ from the password database, not from HOME)
    node.stop()           # docker rm -f -v by id
    reference_play(...)   # the playbook text applying the stack role to the reference stack on app_hosts

The Docker-in-Docker options are those of roles/*/molecule (ALL capabilities minus SYS_RESOURCE,
seccomp/apparmor/systempaths unconfined, the host cgroup tree, a volume at /var/lib/docker);
--privileged fails on this host.
"""
import contextlib
import os
import shutil
import subprocess
import tempfile
import time
import uuid

import yaml

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
VENV_BIN = os.path.join(REPO, '.venv', 'bin')
DIND_ARGS = ['--cap-add', 'ALL', '--cap-drop', 'SYS_RESOURCE',
             '--security-opt', 'seccomp=unconfined', '--security-opt', 'apparmor=unconfined',
             '--security-opt', 'systempaths=unconfined',
             '-v', '/sys/fs/cgroup:/sys/fs/cgroup:rw', '-v', '/var/lib/docker']
REF_IMAGES = ['gpt371-ref-xpipe:0.1', 'gpt371-ref-api:0.1', 'gpt371-ref-agent:0.1']
PREPARE = """---
- name: Install Docker and Compose v2 on the node
  hosts: app_hosts
  gather_facts: true
  tasks:
    - name: Docker host
      ansible.builtin.include_role:
        name: gpt371.infra.docker_host
"""


def docker(*args, timeout=300, check=True):
    return subprocess.run(['docker', *args], capture_output=True, text=True, timeout=timeout, check=check)


def reference_play(name, cache, secret='test', role='gpt371.infra.stack', **stack_vars):
    """Playbook text applying `role` to examples/reference-stack on app_hosts, images shipped from the controller
    (cache: stack_ship_cache_dir), with a full guide .env whose secrets start with `secret`; stack_vars add to
    or override the role's variables."""
    env = {'DB_HOST': '{{ ansible_host }}', 'DB_PORT': '22', 'DB_NAME': '371gpt', 'DB_USER': 'gpt371',
           'DB_PASSWORD': secret + '-db-secret', 'STORAGE_ENDPOINT': 'http://{{ ansible_host }}:9',
           'STORAGE_ACCESS_KEY': secret + '-access', 'STORAGE_SECRET_KEY': secret + '-secret',
           'STORAGE_BUCKET': '371gpt-assets', 'XPIPE_HOST': '127.0.0.1', 'XPIPE_PORT': '8080',
           'XPIPE_API_KEY': secret + '-xpipe-key', 'AGENT_COUNT': '3'}
    play_vars = {'stack_source_dir': os.path.join(REPO, 'examples', 'reference-stack'),
                 'stack_ship_images': True, 'stack_ship_cache_dir': str(cache), 'stack_images': REF_IMAGES,
                 'stack_pull': 'never', 'stack_wait_timeout': 90, 'stack_env': env}
    play_vars.update(stack_vars)
    play = {'name': name, 'hosts': 'app_hosts', 'gather_facts': False, 'vars': play_vars, 'roles': [role]}
    return '---\n' + yaml.safe_dump([play], sort_keys=False)


def ansible_env(extra=None):
    env = dict(os.environ)
    env.update({
        'ANSIBLE_CONFIG': os.path.join(REPO, 'ansible.cfg'),
        'ANSIBLE_FORCE_COLOR': '0',
        'ANSIBLE_NOCOLOR': '1',
        'PATH': VENV_BIN + os.pathsep + os.environ.get('PATH', ''),
        'PYTHONUNBUFFERED': '1',
    })
    env.update(extra or {})
    return env


class StackNode:
    def __init__(self, workdir, prefix='gpt371-test-stack', suite='trixie', label='gpt371.test=integration'):
        self.workdir = os.path.abspath(workdir)
        self.name = f'{prefix}-{uuid.uuid4().hex[:8]}'
        self.image = f'gpt371-node:{suite}'
        self.label = label
        self.cid = None
        self.ip = None
        self.home = os.path.join(self.workdir, 'home')
        self.key = os.path.join(self.home, '.ssh', 'id_ed25519')
        # Short: a control socket path must fit in 108 bytes.
        self.control_dir = tempfile.mkdtemp(prefix='gpt371-cp-', dir='/tmp')
        self.inventory = os.path.join(self.workdir, 'inventory.yml')

    # -- SSH ---------------------------------------------------------------------------
    def ssh_options(self):
        return ['-i', self.key, '-o', 'IdentitiesOnly=yes', '-o', 'BatchMode=yes',
                '-o', 'UserKnownHostsFile=' + os.path.join(self.home, '.ssh', 'known_hosts'),
                '-o', 'StrictHostKeyChecking=yes',
                '-o', 'ControlMaster=auto', '-o', 'ControlPersist=60s',
                '-o', 'ControlPath=' + os.path.join(self.control_dir, '%C')]

    def ssh(self, command, timeout=300, check=True):
        return subprocess.run(['ssh', *self.ssh_options(), f'root@{self.ip}', command],
                              capture_output=True, text=True, timeout=timeout, check=check)

    def _keys(self):
        os.makedirs(os.path.join(self.home, '.ssh'), mode=0o700, exist_ok=True)
        subprocess.run(['ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-C', self.name, '-f', self.key], check=True)
        with open(self.key + '.pub') as fh:
            return fh.read().strip()

    def _wait_sshd(self, timeout=60):
        deadline = time.monotonic() + timeout
        while True:
            scan = subprocess.run(['ssh-keyscan', '-T', '3', '-t', 'ed25519', self.ip],
                                  capture_output=True, text=True, check=False)
            if scan.returncode == 0 and scan.stdout.strip():
                with open(os.path.join(self.home, '.ssh', 'known_hosts'), 'w') as fh:
                    fh.write(scan.stdout)
                return
            if time.monotonic() > deadline:
                logs = docker('logs', '--tail', '30', self.cid, check=False)
                raise RuntimeError(f'sshd of {self.name} not answering:\n{logs.stdout}{logs.stderr}')
            time.sleep(0.5)

    # -- life cycle -----------------------------------------------------------------------
    def start(self, prepare=True):
        if docker('image', 'inspect', self.image, check=False).returncode:
            subprocess.run(['bash', os.path.join(REPO, 'images', 'build.sh')], check=True, timeout=1800)
        pub = self._keys()
        self.cid = docker('run', '-d', '--name', self.name, '--label', self.label, '--hostname', self.name,
                          *DIND_ARGS, '-e', 'NODE_AUTHORIZED_KEY=' + pub, self.image).stdout.strip()
        self.ip = docker('inspect', '-f', '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}',
                         self.cid).stdout.strip().split()[0]
        self._wait_sshd()
        # ~/.ssh/config of the HOME used for stack_via_api: the Docker CLI's ssh and paramiko read it.
        config = os.path.join(self.home, '.ssh', 'config')
        with open(config, 'w') as fh:
            fh.write(f'Host {self.ip}\n  User root\n  IdentityFile {self.key}\n  IdentitiesOnly yes\n'
                     f'  UserKnownHostsFile {self.home}/.ssh/known_hosts\n  StrictHostKeyChecking yes\n'
                     f'  BatchMode yes\n  ControlMaster auto\n  ControlPersist 60s\n'
                     f'  ControlPath {self.control_dir}/%C\n')
        os.makedirs(os.path.join(self.workdir, 'bin'), exist_ok=True)
        wrapper = os.path.join(self.workdir, 'bin', 'ssh')
        with open(wrapper, 'w') as fh:
            fh.write(f'#!/bin/sh\nexec {shutil.which("ssh")} -F {config} "$@"\n')
        os.chmod(wrapper, 0o755)
        with open(self.inventory, 'w') as fh:
            fh.write('all:\n  children:\n    app_hosts:\n      hosts:\n'
                     f'        node:\n          ansible_host: {self.ip}\n          ansible_user: root\n'
                     f'          ansible_ssh_private_key_file: {self.key}\n'
                     '          ansible_python_interpreter: /usr/bin/python3\n'
                     f'          ansible_ssh_common_args: >-\n'
                     f'            -o IdentitiesOnly=yes\n'
                     f'            -o UserKnownHostsFile={self.home}/.ssh/known_hosts -o StrictHostKeyChecking=yes\n'
                     f'            -o ControlMaster=auto -o ControlPersist=60s -o ControlPath={self.control_dir}/%C\n'
                     '  vars:\n'
                     '    docker_host_daemon_env:\n      DOCKER_ALLOW_IPV6_ON_IPV4_INTERFACE: "1"\n')
        if prepare:
            self.prepare()
        return self

    def api_env(self):
        """Environment (for ansible_env) under which `docker -H ssh://root@<ip>` and paramiko reach the node."""
        docker_config = os.environ.get('DOCKER_CONFIG') or os.path.expanduser('~/.docker')  # the Compose plugin
        return {'HOME': self.home, 'DOCKER_CONFIG': docker_config,
                'PATH': os.pathsep.join([os.path.join(self.workdir, 'bin'), VENV_BIN, os.environ.get('PATH', '')])}

    def prepare(self):
        playbook = os.path.join(self.workdir, 'prepare.yml')
        with open(playbook, 'w') as fh:
            fh.write(PREPARE)
        run = subprocess.run([os.path.join(VENV_BIN, 'ansible-playbook'), '-i', self.inventory, playbook],
                             cwd=REPO, env=ansible_env(), capture_output=True, text=True, timeout=1200, check=False)
        if run.returncode:
            raise RuntimeError('docker_host on the node failed:\n' + (run.stdout + run.stderr)[-4000:])

    def stop(self):
        if os.path.isdir(self.control_dir):
            for sock in os.listdir(self.control_dir):
                subprocess.run(['ssh', '-o', 'ControlPath=' + os.path.join(self.control_dir, sock), '-O', 'exit',
                                'x'], capture_output=True, check=False, timeout=10)
        if self.cid:
            docker('rm', '-f', '-v', self.cid, check=False, timeout=120)
            self.cid = None
        shutil.rmtree(self.control_dir, ignore_errors=True)


def build_reference_images():
    """examples/reference-stack/build.sh (cached by tag)."""
    subprocess.run(['bash', os.path.join(REPO, 'examples', 'reference-stack', 'build.sh')], check=True,
                   capture_output=True, timeout=1800)


@contextlib.contextmanager
def started_node(directory, prefix):
    """A StackNode with the reference images on this engine, started, and stopped whatever the test did."""
    build_reference_images()
    node = StackNode(directory, prefix=prefix)
    try:
        node.start()
        yield node
    finally:
        node.stop()
