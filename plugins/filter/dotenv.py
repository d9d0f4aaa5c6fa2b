# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpt371.infra maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
name: dotenv
short_description: Parse the text of a C(.env) file into a dictionary
version_added: 0.1.0
author:
  - gpt371.infra maintainers (@gpt371)
description:
  - Reads C(KEY=value) lines as docker compose does; blank lines and C(#) comments are skipped,
    an C(export) prefix is allowed, and single or double quotes around a value are removed.
options:
  _input:
    description: Text of the file (for example C(slurp) content passed through C(b64decode)).
    type: str
    required: true
'''

EXAMPLES = r'''
- name: Read the deployed .env
  ansible.builtin.slurp:
    src: /opt/371gpt/.env
  register: env_raw
  no_log: true

- name: Use its values
  ansible.builtin.set_fact:
    app_env_values: "{{ env_raw.content | b64decode | gpt371.infra.dotenv }}"
  no_log: true
'''

RETURN = r'''
_value:
  description: The variables of the file, names to values (all strings).
  type: dict
'''

import re

from ansible.errors import AnsibleFilterError

_LINE = re.compile(r'^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$')


def dotenv(text):
    if not isinstance(text, str):
        raise AnsibleFilterError('dotenv expects the text of a .env file, got %s' % type(text).__name__)
    values = {}
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.lstrip().startswith('#'):
            continue
        match = _LINE.match(line)
        if not match:
            # Never echo the line: it may hold a secret.
            raise AnsibleFilterError('dotenv: line %d is not KEY=value' % number)
        key, value = match.groups()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in '"\'':
            value = value[1:-1]
        values[key] = value
    return values


class FilterModule(object):
    def filters(self):
        return {'dotenv': dotenv}
