"""bench/provision_parallel.py reads the instances role's time from the recap ansible.posix.profile_roles prints.

That recap names a collection's role without its collection ("instances ---- 0.07s"); the bench looked for
"gpt371.infra.instances" and printed "instances role ? s" in every run. Read here from a real recap: a play whose
only role is the instances role, stopped by its argument check (no cloud call).
"""
import os
import subprocess
import sys

from tests.helpers import REPO, VENV_BIN, ansible_env

sys.path.insert(0, REPO)
from bench.provision_parallel import ROLE_TIME  # noqa: E402

PLAY = """- hosts: localhost
  gather_facts: false
  tasks:
    - name: The instances role, stopped by its argument check
      ansible.builtin.include_role:
        name: gpt371.infra.instances
      vars:
        instances_action: not-an-action
"""


def test_role_time_is_read_from_profile_roles_recap(tmp_path):
    playbook = tmp_path / 'play.yml'
    playbook.write_text(PLAY)
    run = subprocess.run([os.path.join(VENV_BIN, 'ansible-playbook'), str(playbook)], cwd=REPO, capture_output=True,
                         text=True, timeout=120, check=False,
                         env=ansible_env(ANSIBLE_CALLBACKS_ENABLED='ansible.posix.profile_roles', ANSIBLE_NOCOLOR='1'))
    assert 'ROLES RECAP' in run.stdout, run.stdout[-2000:] + run.stderr[-2000:]
    found = ROLE_TIME.search(run.stdout)
    assert found, 'no instances line in the recap:\n' + run.stdout[run.stdout.index('ROLES RECAP'):]
    assert 0 < float(found.group(1)) < 60
