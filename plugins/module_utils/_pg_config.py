# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpt371.infra maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""PRIVATE to gpt371.infra: the PostgreSQL server settings, pg_hba rules, certificate names and objects of the
database role.

Pure functions, wrapped by plugins/filter/pg_config.py, tested in tests/unit/plugins/module_utils/test_pg_config.py.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import hashlib
import hmac
import ipaddress
import re

# The local rules every cluster keeps first: the postgres superuser and local roles over the socket, by peer.
LOCAL_RULES = [
    {'contype': 'local', 'databases': 'all', 'users': 'postgres', 'method': 'peer'},
    {'contype': 'local', 'databases': 'all', 'users': 'all', 'method': 'peer'},
]


def settings(listen_addresses, tls_dir):
    """The server settings the role owns (ALTER SYSTEM through postgresql_alter_system). listen_addresses joined
    with ', ': the module compares with pg_settings, which separates list items that way."""
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

    audit: cluster (pg_lsclusters output), tls (stat loop of a supplied pair), tls_reasons (tls_files_state's
    reasons for a generated pair), settings (postgresql_alter_system loop in check mode), hba (postgresql_pg_hba
    in check mode), info (postgresql_info databases/roles), database, user, extensions."""
    if missing_packages:
        return ['packages missing: %s' % ', '.join(missing_packages)]
    found = []
    if 'online' not in (audit.get('cluster') or ''):
        found.append('the cluster is not online')
    for result in _results(audit.get('tls')):
        if not result.get('stat', {}).get('exists'):
            found.append('TLS file missing: %s' % result.get('item'))
    found += ['TLS: %s' % reason for reason in audit.get('tls_reasons') or []]
    for result in _results(audit.get('settings')):
        key = (result.get('item') or {}).get('key')
        if result.get('failed'):
            found.append('setting %s unreadable: %s' % (key, result.get('msg', '')))
        elif result.get('executed_queries'):  # the ALTER SYSTEM it would run (check mode): the running value differs
            before = ((result.get('diff') or {}).get('before') or {}).get('setting')
            found.append('setting %s is %s, wanted %s' % (key, before, (result.get('item') or {}).get('value')))
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


# pg_authid.rolpassword of a SCRAM-SHA-256 password: SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>.
SCRAM_VERIFIER = re.compile(r'^SCRAM-SHA-256\$(\d+):([A-Za-z0-9+/=]+)\$([A-Za-z0-9+/=]+):([A-Za-z0-9+/=]+)$')
PRINTABLE_ASCII = re.compile(r'^[\x20-\x7e]+$')


def password_matches(verifier, password):
    """True when the stored SCRAM verifier is of this password (RFC 5802: HMAC(Hi(password, salt, i), "Server Key")
    equals ServerKey), as postgresql_user decides it keeps a password. False for anything else: no password, an
    MD5 one (the role hashes with SCRAM), or a password SASLprep could change (not printable ASCII), which the
    module then settles."""
    match = SCRAM_VERIFIER.match(verifier or '')
    if not match or not PRINTABLE_ASCII.match(password or ''):
        return False
    salted = hashlib.pbkdf2_hmac('sha256', password.encode('ascii'), base64.b64decode(match.group(2)),
                                 int(match.group(1)))
    return hmac.compare_digest(hmac.new(salted, b'Server Key', hashlib.sha256).digest(),
                               base64.b64decode(match.group(4)))


def _rows(read, kind):
    return dict((row['name'], row['setting']) for row in read or [] if row.get('kind') == kind)


def objects_plan(cluster_read, database_read, user, password, database, extensions, auth_schema):
    """The objects whose module (postgresql_user, _db, _ext, _schema, _table) would create or change something, in
    the order the role applies them; [] when none would.

    cluster_read: the rows of the role's read in database postgres (kind role: setting = rolpassword; kind
    database_owner / database_encoding), database_read: the rows of its read in the application database (kind
    extension, schema: setting = owner, table: setting = owner), None when that database was not read (missing)."""
    plan = []
    roles = _rows(cluster_read, 'role')
    if user not in roles or not password_matches(roles[user], password):
        plan.append('user')
    owners, encodings = _rows(cluster_read, 'database_owner'), _rows(cluster_read, 'database_encoding')
    # postgresql_db changes only the owner of a database that exists; another encoding makes it fail, loudly.
    if owners.get(database) != user or (encodings.get(database) or '').replace('-', '').upper() != 'UTF8':
        plan.append('database')
    found = database_read if database_read is not None else []
    if set(extensions) - set(_rows(found, 'extension')):
        plan.append('extensions')
    if auth_schema:
        if _rows(found, 'schema').get('auth') != user:
            plan.append('auth_schema')
        if _rows(found, 'table').get('auth.users') != user:
            plan.append('auth_table')
    return plan
