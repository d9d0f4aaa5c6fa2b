# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpt371.infra maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

# This module_utils is PRIVATE to the gpt371.infra collection. It may change or go away
# without notice; do not import it from other collections or playbooks.

"""The teardown role's selection: of everything the project holds, what carries one deployment's mark.

Inputs are the ``openstack.cloud.*_info`` results as dicts; nothing here talks to a cloud.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re


def _by_name(items):
    return sorted(items, key=lambda i: (i.get('name') or '', i.get('id') or ''))


def marked_resources(servers, mark_tag, security_group_prefix, ports=None, floating_ips=None, keypairs=None,
                     routers=None, networks=None, subnets=None, security_groups=None):
    """The resources to delete, by kind, in the shapes the delete tasks loop over.

    servers: those found by the metadata mark (already filtered by server_info); floating_ips: those on the
    servers' ports; routers and networks: tagged ``mark_tag``; subnets: on a marked network or tagged; security
    groups: named ``<prefix>*`` whose description carries ``mark_tag`` as a word (the network role writes
    "<description> (gpt371 deployment=<name>)")."""
    servers = _by_name(servers or [])
    server_ids = set(s.get('id') for s in servers)
    port_ids = set(p.get('id') for p in ports or [] if p.get('device_id') in server_ids)
    marked_networks = [n for n in networks or [] if mark_tag in (n.get('tags') or [])]
    network_ids = set(n.get('id') for n in marked_networks)
    tag_re = re.compile(r'(^|[ (])' + re.escape(mark_tag) + r'([ )]|$)')
    return {
        'servers': servers,
        'floating_ips': [f for f in floating_ips or [] if f.get('port_id') in port_ids],
        'keypairs': sorted(k.get('name') for k in keypairs or []),
        'routers': _by_name(r for r in routers or [] if mark_tag in (r.get('tags') or [])),
        'networks': _by_name(marked_networks),
        'subnets': _by_name(s for s in subnets or []
                            if s.get('network_id') in network_ids or mark_tag in (s.get('tags') or [])),
        'security_groups': _by_name(g for g in security_groups or []
                                    if (g.get('name') or '').startswith(security_group_prefix)
                                    and tag_re.search(g.get('description') or '')),
    }
