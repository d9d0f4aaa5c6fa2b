# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpt371.infra maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters of the database role: server settings, pg_hba rules, certificate names, input checks."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
name: pg_settings
short_description: The PostgreSQL configuration decisions of the database role, as filters
version_added: 0.2.0
author:
  - gpt371.infra maintainers (@gpt371)
description:
  - C(pg_settings) - the server settings the role owns, from the listen addresses and the TLS directory.
  - C(pg_hba_rules) - the local peer rules, then one C(hostssl) C(scram-sha-256) rule per allowed CIDR.
  - C(pg_tls_sans) - the subjectAltName list of the self-signed certificate.
  - C(pg_drift) - what differs on the host (packages, cluster, TLS files, settings, pg_hba, database, role,
    extensions) from the audit results of the role's check action.
  - C(pg_config_errors) - messages naming the variable and the fix for a bad address, CIDR or port.
  - C(pg_objects_plan) - from the role's two reads (the cluster's roles and databases, then the application
    database's extensions, schema and table), the objects whose module would create or change something
    (C(user), C(database), C(extensions), C(auth_schema), C(auth_table)); the password is compared with the stored
    SCRAM verifier as M(community.postgresql.postgresql_user) compares it.
options:
  _input:
    description: The listen addresses (pg_settings, pg_tls_sans, pg_config_errors) or the allowed CIDRs (pg_hba_rules).
    type: list
    elements: str
    required: true
'''

EXAMPLES = r'''
- name: Rules
  ansible.builtin.debug:
    msg: "{{ ['10.20.0.0/24'] | gpt371.infra.pg_hba_rules('371gpt', 'gpt371') }}"
'''

RETURN = r'''
_value:
  description: A dict of settings, a list of rules, a list of names, or a list of messages.
  type: raw
'''

from ansible_collections.gpt371.infra.plugins.module_utils import _pg_config


def pg_settings(listen_addresses, tls_dir):
    return _pg_config.settings(listen_addresses, tls_dir)


def pg_hba_rules(allowed_cidrs, database, user):
    return _pg_config.hba_rules(allowed_cidrs, database, user)


def pg_tls_sans(listen_addresses, common_name):
    return _pg_config.tls_sans(common_name, listen_addresses)


def pg_drift(missing_packages, audit):
    return _pg_config.drift(missing_packages, audit)


def pg_config_errors(listen_addresses, allowed_cidrs, port):
    return _pg_config.errors(listen_addresses, allowed_cidrs, port)


def pg_objects_plan(cluster_read, database_read, user, password, database, extensions, auth_schema):
    return _pg_config.objects_plan(cluster_read, database_read, user, password, database, extensions,
                                   bool(auth_schema))


class FilterModule(object):
    def filters(self):
        return {'pg_settings': pg_settings, 'pg_hba_rules': pg_hba_rules, 'pg_tls_sans': pg_tls_sans,
                'pg_config_errors': pg_config_errors, 'pg_drift': pg_drift, 'pg_objects_plan': pg_objects_plan}
