# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""secret_file on this controller's file system: directory and file in one run, only what differs, no secret shown."""
import json
import os
import stat

SECRET = 'DB_PASSWORD=s3cr3t-not-for-logs'
PLAYBOOK = """
- hosts: localhost
  gather_facts: false
  tasks:
    - gpt371.infra.secret_file:
        path: "{{ target }}"
        content: "{{ body }}"
        mode: "0600"
        directory_mode: "0750"
      register: written
    - ansible.builtin.copy:
        content: "{{ written | to_json }}"
        dest: "{{ out }}"
        mode: "0600"
      check_mode: false
"""


def write(run_playbook, tmp_path, body, check=False, verbosity=0):
    out = tmp_path / 'result.json'
    playbook = tmp_path / 'secret.yml'
    playbook.write_text(PLAYBOOK)
    result = run_playbook(str(playbook), check=check, verbosity=verbosity, extra_vars={
        'target': str(tmp_path / 'app' / 'deep' / '.env'), 'body': body, 'out': str(out)})
    assert result.returncode == 0, result.output[-3000:]
    assert 's3cr3t' not in result.output
    return json.loads(out.read_text())


def mode_of(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def test_creates_then_reads_only_then_fixes_exactly_what_drifted(run_playbook, tmp_path):
    target = tmp_path / 'app' / 'deep' / '.env'
    planned = write(run_playbook, tmp_path, SECRET + '\n', check=True)
    assert planned['changed'] and planned['directory_changed'] and not target.parent.exists()

    first = write(run_playbook, tmp_path, SECRET + '\n', verbosity=3)
    assert first['changed'] and first['content_changed'] and first['directory_changed']
    assert target.read_text() == SECRET + '\n'
    assert mode_of(target) == 0o600 and mode_of(target.parent) == 0o750 and mode_of(target.parent.parent) == 0o750
    assert not [name for name in os.listdir(target.parent) if name != '.env']  # no temporary file left

    mtime = os.stat(target).st_mtime_ns
    again = write(run_playbook, tmp_path, SECRET + '\n')
    assert not again['changed'] and os.stat(target).st_mtime_ns == mtime

    os.chmod(target, 0o644)  # drift by hand: the mode only
    fixed = write(run_playbook, tmp_path, SECRET + '\n')
    assert fixed['changed'] and fixed['attributes_changed'] and not fixed['content_changed']
    assert mode_of(target) == 0o600 and os.stat(target).st_mtime_ns == mtime

    planned = write(run_playbook, tmp_path, SECRET + '-2\n', check=True)
    assert planned['content_changed'] and target.read_text() == SECRET + '\n'
    changed = write(run_playbook, tmp_path, SECRET + '-2\n')
    assert changed['content_changed'] and not changed['directory_changed']
    assert target.read_text() == SECRET + '-2\n' and mode_of(target) == 0o600


def test_a_bad_mode_fails_naming_the_option_and_writes_nothing(run_playbook, tmp_path):
    playbook = tmp_path / 'bad.yml'
    playbook.write_text('- hosts: localhost\n  gather_facts: false\n  tasks:\n'
                        '    - gpt371.infra.secret_file:\n        path: "%s"\n        content: x\n'
                        '        mode: "rw-------"\n' % (tmp_path / 'd' / '.env'))
    result = run_playbook(str(playbook))
    assert result.returncode != 0
    assert "mode must be an octal mode such as 0600 (got 'rw-------')" in result.output
    assert not (tmp_path / 'd').exists()
