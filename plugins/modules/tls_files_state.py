#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpt371.infra maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
module: tls_files_state
short_description: Read a host's TLS key and certificate in one run, and why they differ from what is wanted
version_added: 0.1.0
author: gpt371.infra maintainers (@gpt371)
description:
  - Reads, on the host, a directory holding a TLS key and certificate that community.crypto's modules keep
    (M(community.crypto.openssl_privatekey), a request, and a self-signed or CA-signed certificate) and returns
    each reason those modules, or M(ansible.builtin.file), would change something; RV(reasons) is empty when they
    would change nothing. A role calls them only when there is a reason, so a run with nothing to change costs
    this one module run instead of one per file, plus the request and the signature.
  - Compared are the directory (exists, O(directory_mode), O(owner), O(group)), the key (an ECC key on
    O(key_curve), O(key_mode)) and the certificate (O(cert_mode); for that key; with O(common_name) and exactly
    O(subject_alt_names); issued by O(ca_cert), or self-signed when O(ca_cert) is empty). Owner and group are
    compared for the three when given.
  - Timestamps are not compared, as community.crypto keeps a certificate in place whatever its dates.
  - Neither the key nor the certificate is returned. Reads only; the same in check mode.
options:
  directory:
    description: The directory holding the key and the certificate.
    type: path
    required: true
  directory_mode:
    description: The directory's wanted mode, in octal.
    type: str
    default: '0750'
  key:
    description: The key file's name in O(directory).
    type: str
    default: server.key
  key_mode:
    description: The key file's wanted mode, in octal.
    type: str
    default: '0600'
  key_curve:
    description: The elliptic curve of the wanted key (community.crypto's C(curve)).
    type: str
    default: secp384r1
  cert:
    description: The certificate file's name in O(directory).
    type: str
    default: server.crt
  cert_mode:
    description: The certificate file's wanted mode, in octal.
    type: str
    default: '0644'
  owner:
    description: The wanted owner of the directory and both files. Omitted, not compared.
    type: str
  group:
    description: The wanted group of the directory and both files. Omitted, not compared.
    type: str
  common_name:
    description: The common name the certificate must hold.
    type: str
    required: true
  subject_alt_names:
    description: The subject alternative names the certificate must hold, exactly, as C(DNS:name) and C(IP:address).
    type: list
    elements: str
    default: []
  ca_cert:
    description:
      - The PEM text of the CA certificate that must have issued the certificate (read on the controller, for
        example with P(ansible.builtin.file#lookup)). Empty, the certificate must be self-signed.
    type: str
    default: ''
requirements:
  - the Python library cryptography on the host (community.crypto's modules need it too)
extends_documentation_fragment:
  - gpt371.infra.host_read
seealso:
  - module: community.crypto.openssl_privatekey
  - module: community.crypto.x509_certificate_pipe
'''

EXAMPLES = r'''
- name: Read the server's TLS files
  gpt371.infra.tls_files_state:
    directory: /etc/postgresql/17/main/tls
    owner: postgres
    group: postgres
    common_name: supabase
    subject_alt_names: [DNS:supabase, IP:10.10.0.12]
    ca_cert: "{{ lookup('ansible.builtin.file', 'ca.crt') }}"
  register: tls_state

- name: Make the key and certificate only when something differs
  when: tls_state.reasons | length > 0
  ansible.builtin.include_tasks: tls.yml
'''

RETURN = r'''
reasons:
  description: One sentence for each thing that differs, naming the file; empty when nothing does.
  returned: always
  type: list
  elements: str
  sample: ["/etc/postgresql/17/main/tls/server.key has mode 0644, wanted 0600"]
'''

import grp
import os
import pwd
import traceback

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.gpt371.infra.plugins.module_utils import _issued_files
from ansible_collections.gpt371.infra.plugins.module_utils._file_modes import octal_mode

try:
    from cryptography import x509
    CRYPTOGRAPHY_ERROR = None
except ImportError:
    CRYPTOGRAPHY_ERROR = traceback.format_exc()


def wanted_ids(module):
    """(uid or None, gid or None) of the options owner and group; a name the host lacks fails naming the option."""
    ids = []
    for name, database in (('owner', pwd.getpwnam), ('group', grp.getgrnam)):
        value = module.params[name]
        if value is None:
            ids.append(None)
            continue
        try:
            ids.append(int(value) if value.isdigit() else database(value)[2])
        except KeyError:
            module.fail_json(msg='tls_files_state: %s %r does not exist on this host' % (name, value))
    return tuple(ids)


def reasons(module, modes, ca, uid, gid):
    p = module.params
    directory = p['directory']
    if not os.path.isdir(directory):
        return ['%s is missing' % directory]
    found = _issued_files.attribute_reasons(directory, modes['directory_mode'], uid, gid)
    key, cert = os.path.join(directory, p['key']), os.path.join(directory, p['cert'])
    for path, option in ((key, 'key_mode'), (cert, 'cert_mode')):
        if not os.path.isfile(path):
            return found + ['%s is missing' % path]
        found += _issued_files.attribute_reasons(path, modes[option], uid, gid)
    try:
        found += _issued_files.pair_reasons(key, cert, p['key_curve'], p['common_name'], p['subject_alt_names'], ca)
    except (ValueError, TypeError) as exc:  # a file that does not parse (or an encrypted key): the modules replace it
        found.append('unreadable TLS file in %s (%s)' % (directory, exc))
    return found


def main():
    module = AnsibleModule(
        argument_spec={
            'directory': {'type': 'path', 'required': True},
            'directory_mode': {'type': 'str', 'default': '0750'},
            'key': {'type': 'str', 'default': 'server.key', 'no_log': False},
            'key_mode': {'type': 'str', 'default': '0600', 'no_log': False},
            'key_curve': {'type': 'str', 'default': 'secp384r1', 'no_log': False},
            'cert': {'type': 'str', 'default': 'server.crt'},
            'cert_mode': {'type': 'str', 'default': '0644'},
            'owner': {'type': 'str'},
            'group': {'type': 'str'},
            'common_name': {'type': 'str', 'required': True},
            'subject_alt_names': {'type': 'list', 'elements': 'str', 'default': []},
            'ca_cert': {'type': 'str', 'default': ''},
        },
        supports_check_mode=True)
    if CRYPTOGRAPHY_ERROR:
        module.fail_json(msg=missing_required_lib('cryptography'), exception=CRYPTOGRAPHY_ERROR)
    # Bad input fails naming its option before anything is read.
    modes = dict((name, octal_mode(module, name, 'tls_files_state'))
                 for name in ('directory_mode', 'key_mode', 'cert_mode'))
    uid, gid = wanted_ids(module)
    ca = None
    if module.params['ca_cert'].strip():
        try:
            ca = x509.load_pem_x509_certificate(module.params['ca_cert'].encode('utf-8'))
        except ValueError as exc:
            module.fail_json(msg='tls_files_state: ca_cert is not a PEM certificate (%s): give the CA certificate '
                                 "file's text, for example lookup('ansible.builtin.file', path)" % exc)
    module.exit_json(changed=False, reasons=reasons(module, modes, ca, uid, gid))


if __name__ == '__main__':
    main()
