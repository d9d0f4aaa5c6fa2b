# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpt371.infra maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

# This module_utils is PRIVATE to the gpt371.infra collection. It may change or go away
# without notice; do not import it from other collections or playbooks.

"""The instances role's decisions: which servers are wanted, which exist, which go, which are not running.

Nothing here talks to a cloud. ``server_plan()`` turns the role's variables into the wanted server list (the
guide's fixed servers, then ``agent-server-0 .. agent_count-1``, overrides applied) plus the input errors;
``server_state()`` compares that list with what ``openstack.cloud.server_info`` found (servers as dicts) and says
which are current, missing, extra agents, not ACTIVE (with the fix for their state), and what the role publishes.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.gpt371.infra.plugins.module_utils import _mark
from ansible_collections.gpt371.infra.plugins.module_utils._deployment import deployment_name_errors

COUNT_RE = re.compile(r'^[0-9]+$')
TRUE_STRINGS = ('y', 'yes', 'on', '1', 'true', 't')


def _bool(value):
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in TRUE_STRINGS


def server_plan(servers, deployment, agent_count, name_prefix, groups_by_purpose, agent_name='agent-server',
                agent_groups=None, agent_security_groups=None, overrides=None, image='', flavor='',
                metadata=None):
    """{'servers': [...], 'errors': [...]}: the wanted servers, each with its full name, image, flavor,
    security group names and metadata mark, and every input error (naming the option and the fix)."""
    errors = list(deployment_name_errors(deployment, 'instances_deployment (infra_deployment)'))
    overrides = overrides or {}
    groups_by_purpose = groups_by_purpose or {}
    count = str(agent_count).strip()
    if isinstance(agent_count, bool) or not COUNT_RE.match(count):
        errors.append('instances_agent_count (agent_count) must be a whole number >= 0 (got %s); '
                      'for example -e agent_count=3.' % (agent_count,))
        count = '0'
    if not isinstance(overrides, dict):
        errors.append('instances_server_overrides must be a dict of bare server name to settings (got %s).'
                      % type(overrides).__name__)
        overrides = {}

    base = []
    for index, server in enumerate(servers or []):
        if not isinstance(server, dict) or not server.get('name'):
            errors.append('instances_servers[%d] needs a name (got %s).' % (index, server))
            continue
        base.append(dict(server, role=server['name'], index=-1))
    for index in range(int(count)):
        base.append({'name': '%s-%d' % (agent_name, index), 'role': 'agent', 'index': index,
                     'groups': list(agent_groups or []), 'security_groups': list(agent_security_groups or [])})

    result = []
    for server in base:
        server = dict(server, **(overrides.get(server['name']) or {}))
        purposes = server.get('security_groups') or []
        unknown = [p for p in purposes if p not in groups_by_purpose]
        if unknown:
            errors.append('server %s names security group purpose(s) %s; known purposes are %s '
                          '(instances_security_groups_by_purpose).'
                          % (server['name'], ', '.join(unknown), ', '.join(sorted(groups_by_purpose))))
        groups = server.get('groups') or []
        if not groups:
            errors.append('server %s has no inventory groups; give it groups (instances_servers / '
                          'instances_agent_groups).' % server['name'])
        mark = dict(metadata or {})
        mark.update(server.get('metadata') or {})
        mark.update(_mark.metadata(deployment, server['role'], groups))
        mark['gpt371_index'] = str(server['index'])
        server.update({
            'full_name': '%s%s' % (name_prefix, server['name']),
            'image': server.get('image') or image,
            'flavor': server.get('flavor') or flavor,
            'floating_ip': _bool(server.get('floating_ip', False)),
            'group_names': [groups_by_purpose.get(p, '') for p in purposes],
            'metadata': mark,
        })
        if not server['image'] or not server['flavor']:
            errors.append('server %s has no image or flavor; set instances_image and instances_flavor '
                          '(or instances_server_overrides).' % server['name'])
        result.append(server)

    names = [s['full_name'] for s in result]
    twice = sorted(set(n for n in names if names.count(n) > 1))
    if twice:
        errors.append('server names must be unique; %s appear(s) more than once (instances_servers, '
                      'instances_agent_name).' % ', '.join(twice))
    return {'servers': result, 'errors': errors}


def fault_message(server):
    """The fault Nova recorded for a server (ERROR state), or ''."""
    fault = server.get('fault') or {}
    if isinstance(fault, dict):
        return str(fault.get('message') or '').strip()
    return str(fault).strip()


# One command brings a server in these states back to ACTIVE.
ONE_COMMAND = {
    'SHUTOFF': '`openstack server start {name}` (provision.yml also starts stopped servers)',
    'STOPPED': '`openstack server start {name}` (provision.yml also starts stopped servers)',
    'PAUSED': '`openstack server unpause {name}`',
    'SUSPENDED': '`openstack server resume {name}`',
    'SHELVED': '`openstack server unshelve {name}`',
    'SHELVED_OFFLOADED': '`openstack server unshelve {name}`',
    'RESCUE': '`openstack server unrescue {name}`',
    'VERIFY_RESIZE': '`openstack server resize confirm {name}`',
}
TRANSIENT = ('BUILD', 'REBUILD', 'REBOOT', 'HARD_REBOOT', 'RESIZE', 'MIGRATING')


def fix_for(name, status):
    """What to do about a server in ``status``: the commands, in the order to try them."""
    status = (status or 'UNKNOWN').upper()
    if status == 'ERROR':
        return ('read the fault, remove its cause, then `openstack server set --state active {name}` and '
                '`openstack server reboot --hard {name}`; or `openstack server rebuild {name}`; or '
                '`openstack server delete {name}` and run provision.yml to create it again').format(name=name)
    if status in ONE_COMMAND:
        return ONE_COMMAND[status].format(name=name)
    if status in TRANSIENT:
        return ('wait until `openstack server show {name} -c status` says ACTIVE and run again; if it stays '
                '{status}, `openstack server delete {name}` and run provision.yml').format(name=name, status=status)
    return ('`openstack server show {name}` for the cause; `openstack server delete {name}` and run provision.yml '
            'to create it again').format(name=name)


def not_active(server):
    """{name, id, status, fault, fix, message} for one server that is not ACTIVE."""
    name = server.get('name') or server.get('id') or '?'
    status = (server.get('status') or 'UNKNOWN').upper()
    fault = fault_message(server)
    fix = fix_for(name, status)
    message = 'server %s is %s%s; fix: %s' % (name, status, (': ' + fault) if fault else '', fix)
    return {'name': name, 'id': server.get('id') or '', 'status': status, 'fault': fault, 'fix': fix,
            'message': message}


def _private_v4(server):
    # server_info without `detailed` gives no private_v4: the fixed address of Nova's addresses then.
    return _mark.private_v4(server) or server.get('access_ipv4') or ''


def _metadata(server):
    return server.get('metadata') or {}


def _text_map(value):
    return dict((str(k), str(v)) for k, v in (value or {}).items())


def needs_apply(wanted, server, tags=None):
    """Whether openstack.cloud.server (state present) would create or change this wanted server.

    It compares what its update compares: the metadata (exactly: it adds and removes keys), the security groups
    and the tags. A field the record does not carry counts as different: the module then decides."""
    if server is None:
        return True
    if _text_map(server.get('metadata')) != _text_map(wanted.get('metadata')):
        return True
    groups = server.get('security_groups')
    if groups is None:
        return True
    names = set(g.get('name') if isinstance(g, dict) else g for g in groups)
    if names != set(wanted.get('group_names') or []):
        return True
    if tags is not None:
        found_tags = server.get('tags')
        if found_tags is None or set(found_tags) != set(str(t) for t in tags):
            return True
    return False


def server_state(found, wanted, name_prefix='', tags=None):
    """Compare the servers found (server_info dicts carrying the deployment mark) with the wanted list.

    Returns current (wanted and found), missing (wanted full names not found), duplicates (names found more
    than once), extra_agents (agents of the deployment beyond the wanted ones), hosts (ACTIVE current servers
    with an address, for add_host), not_active (one dict per current server that is not ACTIVE), to_apply
    (wanted full names that are missing or differ in metadata, security groups or ``tags``: the only ones the
    server module is called for), outputs (servers by role, agent_instance_ips, floating_ips), all sorted by
    name, and catalog_to_create (the images and flavors the missing servers name, sorted once each: the only
    ones to look up, since openstack.cloud.server reads them only to create a server)."""
    found = sorted(found or [], key=lambda s: s.get('name') or '')
    wanted = wanted or []
    wanted_names = [w['full_name'] for w in wanted]
    found_names = [s.get('name') for s in found]
    current = [s for s in found if s.get('name') in wanted_names]
    extra = [s for s in found
             if _metadata(s).get('gpt371_role') == 'agent' and s.get('name') not in wanted_names]

    servers = {}
    for server in current:
        meta = _metadata(server)
        role = meta.get('gpt371_role') or ''
        key = role if role != 'agent' else server['name'][len(name_prefix):]
        servers[key] = {'name': server['name'], 'id': server.get('id'), 'role': role,
                        'private_v4': _private_v4(server), 'public_v4': _mark.public_v4(server),
                        'status': (server.get('status') or '').upper(),
                        'groups': _mark.groups_of(server)}
    by_name = dict((s['name'], s) for s in current)
    agent_ips = [_private_v4(by_name[w['full_name']]) for w in wanted
                 if w.get('role') == 'agent' and w['full_name'] in by_name]
    floating = dict((_metadata(s).get('gpt371_role'), _mark.public_v4(s)) for s in current if _mark.public_v4(s))

    hosts = [{'name': s['name'], 'id': s.get('id'), 'private_v4': _private_v4(s),
              'groups': _mark.groups_of(s)}
             for s in current if (s.get('status') or '').upper() == 'ACTIVE' and _private_v4(s)]
    missing = [w for w in wanted if w['full_name'] not in found_names]
    return {
        'current': current,
        'missing': [w['full_name'] for w in missing],
        'catalog_to_create': {'images': sorted(set(w['image'] for w in missing if w.get('image'))),
                              'flavors': sorted(set(w['flavor'] for w in missing if w.get('flavor')))},
        'to_apply': [w['full_name'] for w in wanted if needs_apply(w, by_name.get(w['full_name']), tags)],
        'duplicates': sorted(set(n for n in found_names if found_names.count(n) > 1)),
        'extra_agents': extra,
        'hosts': hosts,
        'not_active': [not_active(s) for s in current if (s.get('status') or '').upper() != 'ACTIVE'],
        'outputs': {'servers': servers, 'agent_instance_ips': agent_ips, 'floating_ips': floating},
    }
