# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpt371.infra maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
name: dotenv
short_description: Parse the text of a C(.env) file into a dictionary, exactly as docker compose does
version_added: 0.1.0
author:
  - gpt371.infra maintainers (@gpt371)
description:
  - >-
    Reads a C(.env) file the way docker compose v2 reads both its project C(.env) (for C(${VAR}) in the compose
    file) and a service's C(env_file) - a line-for-line port of compose-go v2.9.1's C(dotenv) parser and its
    C(template) interpolation (the compose-go of Docker Compose v2.40.3).
  - >-
    Blank lines and lines starting with C(#) are skipped; C(export) before a key is allowed; C(KEY=value) and the
    YAML-like C(KEY: value) both work; spaces around the separator are dropped.
  - >-
    Unquoted values - everything up to the first space-and-hash C( #), trailing whitespace dropped; no backslash
    escapes; C($NAME), C(${NAME}), C(${NAME:-default}) (and C(-), C(:+), C(+), C(:?), C(?)) are interpolated and
    C($$) is a literal C($).
  - >-
    Single-quoted values are literal, except that C(\') is a quote; they may span lines.
  - >-
    Double-quoted values take the escapes C(\\) C(\") C(\$) C(\n) C(\r) C(\t) C(\a) C(\b) C(\f) C(\v) and
    C(\0ooo) (octal), then are interpolated like unquoted values; they may span lines.
  - >-
    Interpolation looks a name up in O(environment) first, then in the keys read so far from the same file; an
    unset name reads as an empty string (compose warns). A C($) not followed by C($), C({), a letter or C(_) is
    literal.
  - Errors name the line, never its content (a .env holds secrets).
options:
  _input:
    description: Text of the file (for example C(slurp) content passed through C(b64decode)).
    type: str
    required: true
  environment:
    description:
      - The variables compose would see in its own process environment (which win over the file's own keys when
        interpolating). Empty by default, so a file is read as on a host whose environment sets none of its names.
      - A line holding a key alone (C(KEY), no C(=)) takes its value from here; absent, the key is left out.
    type: dict
    default: {}
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
  description: The variables of the file, names to values (all strings), in the order of the file.
  type: dict
'''

from ansible.errors import AnsibleFilterError

from ansible_collections.gpt371.infra.plugins.module_utils._dotenv import DotenvError, parse


def dotenv(text, environment=None):
    try:
        return parse(text, environment)
    except (DotenvError, TypeError) as err:
        raise AnsibleFilterError(str(err))


class FilterModule(object):
    def filters(self):
        return {'dotenv': dotenv}
