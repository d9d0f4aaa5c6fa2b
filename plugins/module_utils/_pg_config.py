# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpt371.infra maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""PRIVATE to gpt371.infra: the PostgreSQL server settings, pg_hba rules and certificate names of the database role.

Pure functions, wrapped by plugins/filter/pg_config.py, tested in tests/unit/plugins/module_utils/test_pg_config.py.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ipaddress

# The local rules every cluster keeps first: the postgres superuser and local roles over the socket, by peer.
LOCAL_RULES = [
    {'contype': 'local', 'databases': 'all', 'users': 'postgres', 'method': 'peer'},
    {'contype': 'local', 'databases': 'all', 'users': 'all', 'method': 'peer'},
]


def settings(listen_addresses, tls_dir):
    """The server settings the role owns (ALTER SYSTEM through postgresql_set). listen_addresses joined with ', ':
    postgresql_set compares with SHOW, which separates list items that way."""
    return {
        'listen_addresses': ', '.join(listen_addresses),
        'ssl': 'on',
        'ssl_cert_file': '%s/server.crt' % tls_dir,
        'ssl_key_file': '%s/server.key' % tls_dir,
        'password_encryption': 'scram-sha-256',
    }


def hba_rules(allowed_cidrs, database, user):
    """pg_hba rules: the local ones, then one hostssl scram-sha-256 line per allowed CIDR for the application."""
    return [dict(rule) for rule in LOCAL_RULES] + [
        {'contype': 'hostssl', 'databases': database, 'users': user, 'address': cidr, 'method': 'scram-sha-256'}
        for cidr in allowed_cidrs]


def tls_sans(common_name, listen_addresses):
    """subjectAltName entries of the self-signed certificate: the common name and localhost as DNS names, each
    listen address as an IP, once each, in that order."""
    names = ['DNS:' + common_name, 'DNS:localhost'] + ['IP:' + a for a in listen_addresses]
    return [n for i, n in enumerate(names) if n not in names[:i]]


def errors(listen_addresses, allowed_cidrs, port):
    """Messages for values the role must not apply, naming the variable and the fix; [] when all is well."""
    found = []
    if not listen_addresses:
        found.append('database_listen_addresses is empty: name the private address(es) PostgreSQL listens on')
    for address in listen_addresses:
        try:
            ipaddress.ip_address(address)
        except ValueError:
            if address not in ('*', 'localhost'):
                found.append('database_listen_addresses: %r is not an IP address (or * / localhost)' % address)
    if not allowed_cidrs:
        found.append('database_allowed_cidrs is empty: name the private subnet(s) the application connects from')
    for cidr in allowed_cidrs:
        try:
            ipaddress.ip_network(cidr, strict=False)
            if '/' not in cidr:
                raise ValueError(cidr)
        except ValueError:
            found.append('database_allowed_cidrs: %r is not a network in CIDR form (e.g. 10.20.0.0/24)' % cidr)
    try:
        if not 0 < int(port) < 65536:
            raise ValueError(port)
    except (TypeError, ValueError):
        found.append('database_port: %r is not a TCP port (1-65535)' % (port,))
    return found


def _results(registered):
    """The per-item results of a registered loop (none when it was skipped)."""
    return [r for r in (registered or {}).get('results', []) if isinstance(r, dict) and not r.get('skipped')]


def drift(missing_packages, audit):
    """What differs on the host from the wanted state, one phrase each, no secret; [] when nothing does.

    audit: cluster (pg_lsclusters output), tls (stat loop), settings (postgresql_set loop in check mode), hba
    (postgresql_pg_hba in check mode), info (postgresql_info databases/roles), database, user, extensions."""
    if missing_packages:
        return ['packages missing: %s' % ', '.join(missing_packages)]
    found = []
    if 'online' not in (audit.get('cluster') or ''):
        found.append('the cluster is not online')
    for result in _results(audit.get('tls')):
        if not result.get('stat', {}).get('exists'):
            found.append('TLS file missing: %s' % result.get('item'))
    for result in _results(audit.get('settings')):
        key = (result.get('item') or {}).get('key')
        if result.get('failed'):
            found.append('setting %s unreadable: %s' % (key, result.get('msg', '')))
        elif result.get('value_pretty') != result.get('prev_val_pretty'):
            found.append('setting %s is %s, wanted %s' % (key, result.get('prev_val_pretty'), result.get('value_pretty')))
    hba = audit.get('hba') or {}
    if hba and not hba.get('skipped') and (hba.get('failed') or 'Changed' in hba.get('msgs', [])):
        found.append('pg_hba.conf differs from the wanted rules')
    info = audit.get('info') or {}
    if info and not info.get('skipped'):
        if info.get('failed'):
            found.append('postgresql_info failed: %s' % info.get('msg', ''))
        else:
            database = info.get('databases', {}).get(audit.get('database'))
            if audit.get('user') not in info.get('roles', {}):
                found.append('role %s missing' % audit.get('user'))
            if database is None:
                found.append('database %s missing' % audit.get('database'))
            else:
                if database.get('owner') != audit.get('user'):
                    found.append('database %s is owned by %s, wanted %s'
                                 % (audit.get('database'), database.get('owner'), audit.get('user')))
                missing = [e for e in audit.get('extensions', []) if e not in database.get('extensions', {})]
                if missing:
                    found.append('extensions missing in %s: %s' % (audit.get('database'), ', '.join(missing)))
    return found
