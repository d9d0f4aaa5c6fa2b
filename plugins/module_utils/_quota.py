# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpt371.infra maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
#
# PRIVATE to gpt371.infra: may change without notice; do not import from other collections.
"""Will a plan fit the project's quotas? Pure functions over the limits Nova and Neutron report."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

# Nova's absolute limits: quota name -> (limit key, used key, unit).
COMPUTE = {
    'instances': ('instances', 'instances_used', 'servers'),
    'cores': ('total_cores', 'total_cores_used', 'vCPUs'),
    'ram': ('total_ram', 'total_ram_used', 'MiB of RAM'),
}
# Neutron's quota details (limit, used, reserved) by resource.
NETWORK = ('floatingip', 'network', 'subnet', 'router', 'security_group', 'security_group_rule', 'port')


def compute_need(servers, flavors):
    """servers: [{'flavor': name}, ...] to be created; flavors: {name: {'vcpus': n, 'ram': MiB}}."""
    need = {'instances': 0, 'cores': 0, 'ram': 0}
    for server in servers:
        flavor = flavors[server['flavor']]
        need['instances'] += 1
        need['cores'] += int(flavor['vcpus'])
        need['ram'] += int(flavor['ram'])
    return need


def shortfalls(need, compute_limits, network_quota):
    """[{quota, need, used, limit, left}] for every quota the need does not fit in (a limit of -1 is unlimited)."""
    out = []
    for quota, count in sorted(need.items()):
        if not count:
            continue
        if quota in COMPUTE:
            limit_key, used_key, _unit = COMPUTE[quota]
            limit, used = compute_limits.get(limit_key), compute_limits.get(used_key) or 0
        elif quota in NETWORK:
            detail = network_quota.get(quota) or {}
            limit = detail.get('limit')
            used = (detail.get('used') or 0) + (detail.get('reserved') or 0)
        else:
            raise ValueError('unknown quota %r' % quota)
        if limit is None or int(limit) < 0:
            continue
        left = int(limit) - int(used)
        if count > left:
            out.append({'quota': quota, 'need': count, 'used': int(used), 'limit': int(limit), 'left': left})
    return out


def message(shortfall):
    unit = COMPUTE.get(shortfall['quota'], (None, None, shortfall['quota'] + 's'))[2]
    return ('quota %(quota)s: this run needs %(need)d more' % shortfall + ' %s, but %d of %d are used (%d left); '
            'ask for a larger quota, or lower agent_count / use a smaller flavor' % (
                unit, shortfall['used'], shortfall['limit'], max(shortfall['left'], 0)))
