# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpt371.infra maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The deployment mark, in one place, and the hosts a deployment's servers become.

Every resource of a deployment carries the mark: Neutron resources the tags ``gpt371`` and
``deployment=<name>``, servers the metadata ``gpt371_deployment``, ``gpt371_role`` and ``gpt371_groups``.
The instances role writes it, teardown and scaling find by it, and the inventory plugin
(gpt371.infra.deployment) and the instances role turn marked servers into hosts with ``hosts_from_servers``.
Pure functions over plain dicts (openstacksdk's ``to_dict()`` or openstack.cloud's server_info records).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.gpt371.infra.plugins.module_utils._ssh_access import ssh_common_args

MARK_TAG = 'gpt371'
META_DEPLOYMENT = 'gpt371_deployment'
META_ROLE = 'gpt371_role'
META_GROUPS = 'gpt371_groups'
ACCESS_MODES = ('bastion', 'floating_ip', 'fixed_ip')
# Through a bastion, every host's first connection is also a connection to the bastion's sshd, which by default
# takes at most 10 unauthenticated connections at once (MaxStartups 10:30:100) and drops some beyond that: with
# more forks than 10, a dropped connection (ssh exit 255) is tried again, after Ansible's backoff of 1, 3, 7 s.
BASTION_SSH_RETRIES = 3


def tags(deployment):
    """Neutron tags of every resource of the deployment."""
    return [MARK_TAG, 'deployment=' + deployment]


def metadata(deployment, role, groups):
    """Nova metadata of one server of the deployment."""
    return {META_DEPLOYMENT: deployment, META_ROLE: role, META_GROUPS: ','.join(groups)}


def is_marked(server, deployment):
    return (server.get('metadata') or {}).get(META_DEPLOYMENT) == deployment


def _addresses(server, kind):
    """IPv4 addresses of one type ('fixed' or 'floating'), in network order."""
    found = []
    for _net, entries in sorted((server.get('addresses') or {}).items()):
        for entry in entries or []:
            if entry.get('OS-EXT-IPS:type', 'fixed') == kind and entry.get('version', 4) == 4:
                found.append(entry.get('addr'))
    return found


def private_v4(server):
    return server.get('private_v4') or next(iter(_addresses(server, 'fixed')), '')


def public_v4(server):
    return server.get('public_v4') or next(iter(_addresses(server, 'floating')), '')


def hosts_from_servers(servers, deployment, access='bastion', bastion_group='core', user='root',
                       ssh_args='', key_file='', known_hosts_file='', host_key_checking=True):
    """The deployment's servers as inventory hosts.

    Returns {'hosts': {name: hostvars}, 'groups': {group: [names]}, 'not_active': [{name, status, fault}], 'errors':
    [message], 'host_keys': [{name, id, addresses, launched_at}]} (host_keys: what gpt371.infra.server_host_keys
    pins, every address of each host, and when Nova last built its disk). Only ACTIVE marked servers become hosts.
    With access 'bastion' the server of bastion_group that has a floating IP is reached at that address and every
    other host through it (an ssh -W ProxyCommand that carries key_file and the host key policy itself,
    module_utils/_ssh_access.py); 'floating_ip' reaches each host at its own floating IP; 'fixed_ip' at its private
    address. Every host's ansible_ssh_common_args pins its host key in known_hosts_file (StrictHostKeyChecking=yes),
    unless host_key_checking is false; key_file (optional: ssh-agent otherwise) becomes
    ansible_ssh_private_key_file. With access 'bastion', every host also gets ansible_ssh_retries
    (BASTION_SSH_RETRIES).
    """
    if access not in ACCESS_MODES:
        return {'hosts': {}, 'groups': {}, 'not_active': [], 'host_keys': [],
                'errors': ['access %r: choose one of %s' % (access, ', '.join(ACCESS_MODES))]}
    marked = sorted((s for s in servers if is_marked(s, deployment)), key=lambda s: s.get('name') or '')
    active = [s for s in marked if s.get('status') == 'ACTIVE']
    not_active = [{'name': s.get('name'), 'status': s.get('status'),
                   'fault': ((s.get('fault') or {}).get('message') or '')} for s in marked if s not in active]
    errors = []
    bastion = None
    if access == 'bastion':
        candidates = [s for s in active if bastion_group in groups_of(s) and public_v4(s)]
        if candidates:
            bastion = candidates[0]
        elif active:
            errors.append('access bastion: no ACTIVE server of group %r of deployment %r has a floating IP; '
                          'give one a floating IP (provision.yml), or set access/infra_access to floating_ip or '
                          'fixed_ip' % (bastion_group, deployment))
    hosts, groups = {}, {}
    for server in active:
        name = server['name']
        hostvars = {
            'ansible_user': user,
            META_DEPLOYMENT: deployment,
            'gpt371_server_id': server.get('id'),
            META_ROLE: (server.get('metadata') or {}).get(META_ROLE, ''),
            'gpt371_private_v4': private_v4(server),
            'gpt371_public_v4': public_v4(server),
        }
        if access == 'fixed_ip' or (access == 'bastion' and server is not bastion):
            hostvars['ansible_host'] = hostvars['gpt371_private_v4']
        else:
            hostvars['ansible_host'] = hostvars['gpt371_public_v4']
        if access == 'floating_ip' and not hostvars['ansible_host']:
            errors.append('access floating_ip: server %s has no floating IP; set access/infra_access to bastion '
                          '(reach it through %s) or give it one' % (name, bastion_group))
        hop = public_v4(bastion) if (access == 'bastion' and bastion is not None and server is not bastion) else ''
        common = ssh_common_args(bastion=hop, user=user, key_file=key_file, known_hosts_file=known_hosts_file,
                                 host_key_checking=host_key_checking, extra=ssh_args)
        if common:
            hostvars['ansible_ssh_common_args'] = common
        if hop:
            hostvars['gpt371_bastion'] = hop
        if access == 'bastion':
            hostvars['ansible_ssh_retries'] = BASTION_SSH_RETRIES
        if key_file:
            hostvars['ansible_ssh_private_key_file'] = key_file
        hosts[name] = hostvars
        for group in groups_of(server):
            groups.setdefault(group, []).append(name)
    launched = dict((s['name'], s.get('launched_at') or '') for s in active)
    host_keys = [{'name': name, 'id': hostvars['gpt371_server_id'],
                  'addresses': sorted(set(a for a in (hostvars['ansible_host'], hostvars['gpt371_private_v4'],
                                                      hostvars['gpt371_public_v4']) if a)),
                  'launched_at': launched[name]}
                 for name, hostvars in sorted(hosts.items())]
    return {'hosts': hosts, 'groups': groups, 'not_active': not_active, 'errors': errors, 'host_keys': host_keys}


def groups_of(server):
    """The inventory groups a server's mark names (metadata gpt371_groups)."""
    text = (server.get('metadata') or {}).get(META_GROUPS) or ''
    return [group for group in text.split(',') if group]
