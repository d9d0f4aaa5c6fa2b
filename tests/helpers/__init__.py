"""Helpers shared by the tests and the benchmarks: run a module in-process or as its own process, run a playbook
against the local services.

Imported as ``tests.helpers``: pytest puts the repository root on sys.path (``pythonpath`` in pytest.ini), and
the benchmarks run from the repository root as ``python -m bench.<name>``. No caller edits sys.path.

- :class:`Exit`, :func:`catch_exit`: a module's exit_json/fail_json raise ``Exit(failed, result)`` in-process.
- :func:`run_module`: one real module process (as Ansible starts it, minus AnsiballZ), its result and wall time.
- :func:`local_services`, :func:`write_private_json`, :func:`playbook_command`: what bench/ and scripts/ need to
  run a playbook against the services the integration tests use.
- :func:`repo_yaml_files`: the YAML files under some top folders of the repository, for tests that scan them.
"""
import contextlib
import glob
import json
import os
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
COLLECTIONS = os.path.join(REPO, '.collections')
VENV_BIN = os.path.join(REPO, '.venv', 'bin')
INVENTORY = os.path.join(REPO, 'tests', 'integration', 'inventory.yml')
MODULES = 'ansible_collections.gpt371.infra.plugins.modules'


def repo_yaml_files(*tops):
    """site.yml and every .yml/.yaml file under the given top folders of the repository, sorted."""
    files = [os.path.join(REPO, 'site.yml')]
    for top in tops:
        for ext in ('yml', 'yaml'):
            files += glob.glob(os.path.join(REPO, top, '**', '*.' + ext), recursive=True)
    return sorted(f for f in files if os.path.isfile(f))


class Exit(Exception):
    """What a module handed to exit_json (``failed`` False) or fail_json (``failed`` True)."""

    def __init__(self, failed, result):
        super(Exit, self).__init__(result.get('msg'))
        self.failed = failed
        self.result = result


def catch_exit(monkeypatch):
    """Make AnsibleModule.exit_json/fail_json raise :class:`Exit` for the rest of the test."""
    from ansible.module_utils import basic

    def exit_json(self, **kwargs):
        raise Exit(False, kwargs)

    def fail_json(self, **kwargs):
        raise Exit(True, kwargs)

    monkeypatch.setattr(basic.AnsibleModule, 'exit_json', exit_json)
    monkeypatch.setattr(basic.AnsibleModule, 'fail_json', fail_json)


def run_module(name, args, env=None, timeout=120, check_mode=False):
    """Run module ``name`` of this collection as a process of its own; (result dict, rc, wall seconds).

    The arguments go through a 0600 file, as AnsiballZ hands them over, so secrets never show in ``ps``.
    """
    params = dict(args, _ansible_check_mode=check_mode)
    fd, path = tempfile.mkstemp(prefix='gpt371-args-', suffix='.json')
    try:
        with os.fdopen(fd, 'w') as handle:
            json.dump({'ANSIBLE_MODULE_ARGS': params}, handle)
        environ = dict(os.environ, PYTHONPATH=COLLECTIONS, **(env or {}))
        start = time.monotonic()
        proc = subprocess.run([sys.executable, '-m', '%s.%s' % (MODULES, name), path], env=environ,
                              capture_output=True, text=True, timeout=timeout, check=False)
        wall = time.monotonic() - start
    finally:
        os.unlink(path)
    try:
        result = json.loads(proc.stdout)
    except ValueError:
        raise AssertionError('%s printed no JSON result (rc %d): %s' % (name, proc.returncode,
                                                                        (proc.stdout + proc.stderr)[-3000:]))
    return result, proc.returncode, wall


def write_private_json(path, data):
    """Write ``data`` as JSON to a new file only its owner may read (extra vars hold secrets)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, 'w') as handle:
        json.dump(data, handle)
    return path


@contextlib.contextmanager
def local_services(prefix):
    """(services dict, work directory) of the integration tests' services, stopped on the way out."""
    from tests.integration.services.local import LocalServices
    with tempfile.TemporaryDirectory(prefix=prefix) as work:
        local = LocalServices(work)
        try:
            yield local.start(), work
        finally:
            local.stop()


def playbook_command(playbook, extra_vars_file, inventory=INVENTORY):
    """The ansible-playbook command line of the venv for a repo playbook and a JSON extra vars file."""
    return [os.path.join(VENV_BIN, 'ansible-playbook'), '-i', inventory, os.path.join(REPO, playbook),
            '-e', '@' + extra_vars_file]


def ansible_env(**more):
    """The environment ansible-playbook runs with from the repository (its ansible.cfg)."""
    return dict(os.environ, ANSIBLE_CONFIG=os.path.join(REPO, 'ansible.cfg'), **more)
