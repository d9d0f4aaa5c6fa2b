# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpt371.infra maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

# This module_utils is PRIVATE to the gpt371.infra collection. It may change or go away
# without notice; do not import it from other collections or playbooks.

"""The deployment name, validated once for every provisioning role (network, instances, teardown).

The name becomes part of every resource name (``<name>-net``, ``<name>-agent-server-<i>``, ``<name>-key``), the
Neutron tag ``deployment=<name>`` and the servers' metadata, so the same rule must hold in every role: the
network role checks it before its first write, so a bad name creates nothing.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

# Letters, digits, '.', '_' and '-', starting and ending with a letter or digit. Neutron tags refuse ',' and '/';
# Nova derives host names from server names.
NAME_RE = re.compile(r'^[A-Za-z0-9]([A-Za-z0-9_.-]*[A-Za-z0-9])?$')
# "<name>-agent-server-99" must stay within a 63-character host name label.
MAX_LENGTH = 40


def deployment_name_errors(name, option='infra_deployment'):
    """Every reason ``name`` cannot be a deployment name, each naming ``option`` and the fix; [] when valid."""
    if name is None or not isinstance(name, str):
        return ['%s must be a string such as "prod" (got %r); set -e %s=<name>.' % (option, name, option)]
    if len(name) == 0:
        return ['%s is empty; set -e %s=<name> (letters, digits, ".", "_", "-").' % (option, option)]
    errors = []
    if not NAME_RE.match(name):
        errors.append('%s "%s" is not a plain name: use letters, digits, ".", "_" and "-", starting and ending '
                      'with a letter or digit (for example "%s").' % (option, name, suggest(name)))
    if len(name) > MAX_LENGTH:
        errors.append('%s "%s" has %d characters; at most %d keep "<name>-agent-server-<i>" a valid host name.'
                      % (option, name, len(name), MAX_LENGTH))
    return errors


def suggest(name):
    """A valid name close to ``name`` (for the error message)."""
    cleaned = re.sub(r'[^A-Za-z0-9_.-]+', '-', name).strip('-_.')[:MAX_LENGTH].strip('-_.')
    return cleaned or 'prod'
