# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""deb_packages_info against this controller's real dpkg database (Debian): installed, missing, left to apt."""
import json
import subprocess

PLAYBOOK = """
- hosts: localhost
  gather_facts: false
  tasks:
    - gpt371.infra.deb_packages_info:
        names: [gpt371-no-such-package, dpkg, bash, "docker.io=1.0", dpkg]
      register: debs
    - ansible.builtin.copy:
        content: "{{ debs | to_json }}"
        dest: "%s"
      check_mode: false
"""


def dpkg_version(name):
    return subprocess.run(['dpkg-query', '-W', '-f=${Version}', name], check=True, capture_output=True,
                          text=True).stdout


def test_installed_missing_and_undecided_as_dpkg_has_them_in_check_mode_too(run_playbook, tmp_path):
    for check in (False, True):
        out = tmp_path / ('check.json' if check else 'run.json')
        playbook = tmp_path / 'debs.yml'
        playbook.write_text(PLAYBOOK % out)
        result = run_playbook(str(playbook), check=check)
        assert result.returncode == 0, result.output[-3000:]
        debs = json.loads(out.read_text())
        assert debs['changed'] is False
        assert debs['installed'] == {'dpkg': dpkg_version('dpkg'), 'bash': dpkg_version('bash')}
        assert debs['missing'] == ['gpt371-no-such-package', 'docker.io=1.0']
        assert debs['undecided'] == ['docker.io=1.0']
