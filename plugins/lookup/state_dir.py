# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpt371.infra maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
name: state_dir
short_description: Where the collection keeps what must stay on the controller, outside any checkout
version_added: 0.2.0
author:
  - gpt371.infra maintainers (@gpt371)
description:
  - Returns C(infra_state_dir)'s default, the one folder for what a run keeps on the controller (the optional
    outputs export, reports, a generated lab key, known_hosts). Nothing later in a run, or in a later run, depends
    on it, since the cloud is the source of truth.
  - C($GPT371_STATE_DIR) when set, else C($XDG_STATE_HOME/gpt371), else C(~/.local/state/gpt371), of the user who
    runs Ansible. Never a path inside the collection, so an installed collection and an AWX job's project checkout
    stay clean (in AWX, set C(infra_state_dir) to a path of the job, or keep the default and read the artifacts).
options:
  _terms:
    description: Not used.
    required: false
'''

EXAMPLES = r'''
infra_state_dir: "{{ lookup('gpt371.infra.state_dir') }}"
'''

RETURN = r'''
_raw:
  description: One absolute path.
  type: list
  elements: str
'''

import os

from ansible.plugins.lookup import LookupBase


def state_dir(environ):
    explicit = environ.get('GPT371_STATE_DIR')
    if explicit:
        return os.path.abspath(os.path.expanduser(explicit))
    base = environ.get('XDG_STATE_HOME') or os.path.join(os.path.expanduser('~'), '.local', 'state')
    return os.path.join(os.path.abspath(base), 'gpt371')


class LookupModule(LookupBase):
    def run(self, terms, variables=None, **kwargs):
        return [state_dir(os.environ)]
