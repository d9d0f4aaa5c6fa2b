# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpt371.infra maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

# This module_utils is PRIVATE to the gpt371.infra collection. It may change or go away
# without notice; do not import it from other collections or playbooks.

"""The outputs role's file: what the network and instances roles built, shaped like ``terraform output -json``
({"name": {"value": ..., "sensitive": bool, "type": ...}}), which ``gpt371.infra.app_env`` reads."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from collections.abc import Mapping
from numbers import Number

SERVERS = ('core', 'xpipe', 'kespa', 'supabase')
SECRETS = ('database_password', 'storage_access_key', 'storage_secret_key')
TRUE_STRINGS = ('y', 'yes', 'on', '1', 'true', 't')


def output_type(value):
    """Terraform's type of a value: string, bool, number, [map, string] or [list, string]."""
    if isinstance(value, str):
        return 'string'
    if isinstance(value, bool):
        return 'bool'
    if isinstance(value, Number):
        return 'number'
    if isinstance(value, Mapping):
        return ['map', 'string']
    return ['list', 'string']


def _bool(value):
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in TRUE_STRINGS


def terraform_outputs(instances_outputs, network_outputs, deployment, settings=None, secrets=None, extra=None):
    """The outputs file's content.

    ``settings`` holds the values that do not come from the cloud (database_user, database_name, database_port,
    storage_endpoint, storage_bucket, xpipe_port); ``secrets`` the sensitive ones, written only when non-empty
    (trimmed); ``extra`` more outputs, plain or as {"value": ..., "sensitive": bool}."""
    settings = dict(settings or {})
    servers = instances_outputs.get('servers') or {}
    floating = instances_outputs.get('floating_ips') or {}
    agent_ips = list(instances_outputs.get('agent_instance_ips') or [])
    plain = {'deployment': deployment}
    for role in SERVERS:
        plain['%s_instance_ip' % role] = (servers.get(role) or {}).get('private_v4') or ''
    plain.update({
        'api_floating_ip': floating.get('core') or '',
        'agent_instance_ips': agent_ips,
        'agent_count': len(agent_ips),
        'instance_ids': dict((s.get('name'), s.get('id')) for s in servers.values()),
        'keypair_name': instances_outputs.get('keypair_name'),
        'ssh_private_key_file': instances_outputs.get('private_key_file'),
        'network_id': network_outputs.get('network_id'),
        'subnet_id': network_outputs.get('subnet_id'),
        'subnet_cidr': network_outputs.get('subnet_cidr'),
        'router_id': network_outputs.get('router_id'),
        'security_group_ids': network_outputs.get('security_groups'),
        'database_user': settings.get('database_user'),
        'database_name': settings.get('database_name'),
        'database_port': int(settings.get('database_port')),
        'storage_endpoint': settings.get('storage_endpoint'),
        'storage_bucket': settings.get('storage_bucket'),
        'xpipe_port': int(settings.get('xpipe_port')),
    })
    result = dict((name, {'value': value, 'sensitive': False}) for name, value in plain.items())
    for name in SECRETS:
        value = str((secrets or {}).get(name) or '').strip()
        if value:
            result[name] = {'value': value, 'sensitive': True}
    for name, value in (extra or {}).items():
        if isinstance(value, Mapping) and 'value' in value:
            result[name] = {'value': value['value'], 'sensitive': _bool(value.get('sensitive', False))}
        else:
            result[name] = {'value': value, 'sensitive': False}
    for item in result.values():
        item['type'] = output_type(item['value'])
    return result
