# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpt371.infra maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
name: tls_files_drift
short_description: Why a host's TLS files on the controller differ from what the stack role issues
version_added: 0.1.0
author:
  - gpt371.infra maintainers (@gpt371)
description:
  - Reads, on the controller, the directory the stack role keeps a host's TLS files in (C(stack_tls_dir)) and
    returns each reason its file, copy and community.crypto tasks would change something there; an empty list
    when they would change nothing. The role runs those tasks only when there is a reason, so a run with nothing
    to change makes no module run for them.
  - Compared are the directory (mode 0700), C(ca.pem) (the same bytes as the CA file, mode 0644) and, with a CA
    key, C(tls-key.pem) (an ECC secp256r1 key, mode 0600) and C(tls-cert.pem) (mode 0644, for that key, signed by
    the CA, with the common name and exactly the subject alternative names wanted).
  - Reads only; needs the Python library C(cryptography) on the controller (community.crypto's modules need it too).
options:
  _terms:
    description: The directory (C(stack_tls_dir)).
    required: true
  ca_cert_file:
    description: The CA certificate file on the controller.
    type: str
    required: true
  ca_key_file:
    description: The CA key file; empty when only the CA certificate is copied (no certificate is issued).
    type: str
    default: ''
  common_name:
    description: The common name the certificate must hold.
    type: str
    default: ''
  sans:
    description: The subject alternative names, as C(DNS:name) and C(IP:address).
    type: list
    elements: str
    default: []
'''

EXAMPLES = r'''
- name: This host's TLS files, only when they differ
  when: lookup('gpt371.infra.tls_files_drift', stack_tls_dir, ca_cert_file=ca, ca_key_file=key,
                common_name=inventory_hostname, sans=['DNS:' ~ inventory_hostname]) | length > 0
  ansible.builtin.include_tasks: issue.yml
'''

RETURN = r'''
_raw:
  description: The reasons, one sentence each; empty when nothing differs.
  type: list
  elements: str
'''

from ansible.plugins.lookup import LookupBase

from ansible_collections.gpt371.infra.plugins.module_utils import _issued_files


class LookupModule(LookupBase):
    def run(self, terms, variables=None, **kwargs):
        self.set_options(var_options=variables, direct=kwargs)
        found = []
        for directory in terms:
            found.extend(_issued_files.reasons(
                directory, self.get_option('ca_cert_file'), self.get_option('ca_key_file'),
                self.get_option('common_name'), self.get_option('sans')))
        return found
