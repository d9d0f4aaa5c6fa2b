# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpt371.infra maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
#
# PRIVATE to gpt371.infra: may change without notice; do not import from other collections.
"""How the network, subnet and router on the cloud differ from the declaration. Pure functions over what Neutron
returns (dicts), so the network role calls openstack.cloud's network, subnet and router modules only for a
resource that differs. Each comparison covers what those modules compare for the options the role gives them
(openstack.cloud 2.6): a reason here means the module would change something, and no reason means it would not.
When in doubt a reason is given: an extra module call is harmless, a missed drift is not."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type


def _tags_differ(resource, tags):
    return tags is not None and set(resource.get('tags') or []) != set(tags)


def _named(resources, name, **match):
    return [r for r in resources if r.get('name') == name and all(r.get(k) == v for k, v in match.items())]


def network_reasons(networks, declared):
    """Reasons the network module would act: missing, duplicated or other tags."""
    found = _named(networks, declared['name'])
    if not found:
        return ['missing']
    if len(found) > 1:
        return ['%d networks are named %s' % (len(found), declared['name'])]
    return ['tags differ'] if _tags_differ(found[0], declared.get('tags')) else []


def subnet_reasons(subnets, network, declared):
    """Reasons the subnet module would act on the subnet of ``network`` (None: the network is not there yet)."""
    if not network:
        return ['missing']  # with its network
    found = _named(subnets, declared['name'], network_id=network.get('id'))
    if not found:
        return ['missing']
    if len(found) > 1:
        return ['%d subnets are named %s' % (len(found), declared['name'])]
    subnet, reasons = found[0], []
    if subnet.get('cidr') != declared['cidr']:
        reasons.append('CIDR %s, declared %s' % (subnet.get('cidr'), declared['cidr']))
    if declared.get('description') is not None and (subnet.get('description') or '') != declared['description']:
        reasons.append('description differs')
    if declared.get('dns_nameservers') and \
            sorted(subnet.get('dns_nameservers') or []) != sorted(declared['dns_nameservers']):
        reasons.append('DNS name servers differ')
    if subnet.get('ip_version') != 4:
        reasons.append('IP version %s' % subnet.get('ip_version'))
    if not subnet.get('is_dhcp_enabled'):
        reasons.append('DHCP disabled')
    if _tags_differ(subnet, declared.get('tags')):
        reasons.append('tags differ')
    return reasons


def router_reasons(routers, interface_subnet_ids, subnet, external_network_id, declared):
    """Reasons the router module would act. ``interface_subnet_ids``: the subnets of the router's internal
    interfaces; ``subnet``: the declared subnet as found (None when missing); ``external_network_id``: the
    declared gateway network's ID ('' for none declared)."""
    found = _named(routers, declared['name'])
    if not found:
        return ['missing']
    if len(found) > 1:
        return ['%d routers are named %s' % (len(found), declared['name'])]
    router, reasons = found[0], []
    if not router.get('is_admin_state_up', True):
        reasons.append('administratively down')
    if external_network_id:
        gateway = router.get('external_gateway_info') or {}
        if not gateway:
            reasons.append('no external gateway')
        elif gateway.get('network_id') != external_network_id:
            reasons.append('gateway on another network')
    wanted = subnet.get('id') if subnet else None
    if wanted not in interface_subnet_ids:
        reasons.append('not attached to the subnet')
    others = sorted(set(interface_subnet_ids) - set([wanted]))
    if others:
        reasons.append('attached to other subnets (%s)' % ', '.join(others))
    if _tags_differ(router, declared.get('tags')):
        reasons.append('tags differ')
    return reasons


def the_one(resources, name, **match):
    """The single resource of that name (and match), else None."""
    found = _named(resources, name, **match)
    return found[0] if len(found) == 1 else None
