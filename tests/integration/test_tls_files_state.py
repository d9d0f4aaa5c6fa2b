# -*- coding: utf-8 -*-
"""tls_files_state on this machine's files, made by community.crypto's modules as the database role makes them:
no reason exactly when those modules would change nothing, and each drift named by file."""
import json
import os

# The database role's TLS tasks (key, request, self-signed or CA-signed certificate), in a temporary directory.
MAKE = """
- hosts: localhost
  gather_facts: false
  tasks:
    - ansible.builtin.file: {path: "{{ dir }}", state: directory, mode: "0750"}
      register: made_dir
    - community.crypto.openssl_privatekey:
        path: "{{ dir }}/server.key"
        type: ECC
        curve: secp384r1
        mode: "0600"
      register: made_key
    - community.crypto.openssl_csr_pipe:
        privatekey_path: "{{ dir }}/server.key"
        common_name: "{{ cn }}"
        subject_alt_name: "{{ sans }}"
      register: csr
    - ansible.builtin.slurp: {src: "{{ dir }}/server.crt"}
      register: current
      failed_when: false
    - community.crypto.x509_certificate_pipe:
        content: "{{ (current.content | b64decode) if current.content is defined else omit }}"
        csr_content: "{{ csr.csr }}"
        provider: ownca
        ownca_path: "{{ ca }}.crt"
        ownca_privatekey_path: "{{ ca }}.key"
        ownca_not_after: +30d
      register: signed
    - ansible.builtin.copy: {content: "{{ signed.certificate }}", dest: "{{ dir }}/server.crt", mode: "0644"}
      register: made_cert
    - ansible.builtin.copy:
        content: "{{ [made_dir, made_key, made_cert] | map(attribute='changed') | list | to_json }}"
        dest: "{{ out }}"
        mode: "0600"
"""

CA = """
- hosts: localhost
  gather_facts: false
  tasks:
    - community.crypto.openssl_privatekey: {path: "{{ ca }}.key", type: ECC, curve: secp256r1, mode: "0600"}
    - community.crypto.openssl_csr_pipe:
        privatekey_path: "{{ ca }}.key"
        common_name: "{{ ca | basename }}"
        basic_constraints: ["CA:TRUE"]
        basic_constraints_critical: true
        key_usage: [keyCertSign]
        use_common_name_for_san: false
      register: ca_csr
    - community.crypto.x509_certificate:
        path: "{{ ca }}.crt"
        csr_content: "{{ ca_csr.csr }}"
        privatekey_path: "{{ ca }}.key"
        provider: selfsigned
"""

READ = """
- hosts: localhost
  gather_facts: false
  tasks:
    - gpt371.infra.tls_files_state:
        directory: "{{ dir }}"
        owner: "{{ owner | default(omit) }}"
        key_mode: "{{ key_mode | default(omit) }}"
        common_name: "{{ cn }}"
        subject_alt_names: "{{ sans }}"
        ca_cert: "{{ lookup('ansible.builtin.file', ca ~ '.crt') }}"
      register: state
    - ansible.builtin.copy: {content: "{{ state | to_json }}", dest: "{{ out }}", mode: "0600"}
      check_mode: false
"""

SANS = ['DNS:supabase', 'IP:10.10.0.12']


def _play(run_playbook, tmp_path, text, check=False, expect_ok=True, **extra):
    playbook = tmp_path / ('play-%d.yml' % abs(hash(text)))
    playbook.write_text(text)
    out = tmp_path / 'out.json'
    if out.exists():
        out.unlink()
    args = dict(dir=str(tmp_path / 'tls'), ca=str(tmp_path / 'ca'), cn='supabase', sans=SANS, out=str(out))
    args.update(extra)
    result = run_playbook(str(playbook), extra_vars=args, check=check)
    if not expect_ok:
        assert result.returncode != 0
        return result.output
    assert result.returncode == 0, result.output[-3000:]
    return json.loads(out.read_text())


def make(run_playbook, tmp_path, **extra):
    """[directory, key, certificate] changed by the role's tasks."""
    return _play(run_playbook, tmp_path, MAKE, **extra)


def read(run_playbook, tmp_path, **extra):
    return _play(run_playbook, tmp_path, READ, **extra)['reasons']


def test_no_reason_exactly_when_the_role_s_tasks_change_nothing(run_playbook, tmp_path):
    playbook = tmp_path / 'ca.yml'
    playbook.write_text(CA)
    assert run_playbook(str(playbook), extra_vars={'ca': str(tmp_path / 'ca')}).returncode == 0
    tls = tmp_path / 'tls'
    assert read(run_playbook, tmp_path) == ['%s is missing' % tls]
    assert make(run_playbook, tmp_path) == [True, True, True]

    # As made: nothing to read as differing, and the role's tasks indeed change nothing.
    assert read(run_playbook, tmp_path, owner='root') == []
    assert read(run_playbook, tmp_path, check=True) == []  # the same read in check mode
    assert make(run_playbook, tmp_path) == [False, False, False]

    # The key's mode changed by hand: named, and the tasks change that alone.
    os.chmod(tls / 'server.key', 0o644)
    assert read(run_playbook, tmp_path) == ['%s/server.key has mode 0644, wanted 0600' % tls]
    assert make(run_playbook, tmp_path) == [False, True, False]
    assert read(run_playbook, tmp_path) == []

    # Another name wanted: the certificate would be signed again.
    wider = SANS + ['DNS:db.internal']
    assert read(run_playbook, tmp_path, sans=wider) == [
        "%s/server.crt holds the names %s, wanted %s" % (tls, sorted(SANS), sorted(wider))]
    assert make(run_playbook, tmp_path, sans=wider) == [False, False, True]
    assert read(run_playbook, tmp_path, sans=wider) == []

    # A certificate from another CA: named as not issued by the CA given.
    playbook.write_text(CA)
    assert run_playbook(str(playbook), extra_vars={'ca': str(tmp_path / 'other')}).returncode == 0
    assert read(run_playbook, tmp_path, sans=wider, ca=str(tmp_path / 'other')) == [
        '%s/server.crt is not issued by the CA' % tls]

    # The certificate removed: named, and the directory and key are not.
    os.remove(tls / 'server.crt')
    assert read(run_playbook, tmp_path, sans=wider) == ['%s/server.crt is missing' % tls]


def test_bad_input_fails_naming_the_option(run_playbook, tmp_path):
    (tmp_path / 'ca.crt').write_text('not a certificate\n')
    (tmp_path / 'tls').mkdir()
    output = _play(run_playbook, tmp_path, READ, expect_ok=False)
    assert 'ca_cert is not a PEM certificate' in output
    output = _play(run_playbook, tmp_path, READ, expect_ok=False, key_mode='0999')
    assert 'key_mode must be an octal mode such as 0600' in output
    output = _play(run_playbook, tmp_path, READ, expect_ok=False, owner='no-such-user-371')
    assert "owner 'no-such-user-371' does not exist on this host" in output
