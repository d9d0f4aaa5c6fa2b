# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpt371.infra maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
#
# PRIVATE to gpt371.infra: may change without notice; do not import from other collections.
"""PostgreSQL side of pg_probe: what libpq's errors mean and what to do about them.

A failed connect gives nothing but libpq's text, so :func:`connect_cause` reads it once, here,
into a key of ``MESSAGES``; the key carries the reason, the templates only the words.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re
import struct

from ansible_collections.gpt371.infra.plugins.module_utils._probe import ProbeFailure

# key -> (reason, cause template, fix template). Fields: where, host, port, user, dbname, ssl_mode, text,
# waited, name, found, minimum, schema, nearest.
MESSAGES = {
    'password': ('auth', 'password authentication failed for user {user}',
                 'check DB_PASSWORD matches the provisioned value (outputs file / vault) and that user {user} exists'),
    'database': ('not_found', 'database {dbname} does not exist on {where}',
                 'check DB_NAME, or create the database (the database role does)'),
    'role': ('auth', 'role {user} does not exist on {where}',
             'check DB_USER matches the provisioned database user'),
    'pg_hba': ('denied', 'the server refuses this client by pg_hba.conf ({text})',
               "allow this host's address in pg_hba.conf (database role: database_allowed_cidrs)"
               ' and check it connects over the private network'),
    'no_ssl': ('tls_not_tls', 'the server at {where} does not offer TLS but ssl_mode={ssl_mode} requires it',
               'enable ssl on the PostgreSQL server (database role does), or lower ssl_mode only on a trusted network'),
    'not_postgres': ('tls_not_tls', 'the server at {where} answered the TLS request in a way PostgreSQL does not'
                                    ' ({text})',
                     'check DB_HOST / DB_PORT point at PostgreSQL and not at another service'),
    'refused': ('refused', 'connection refused at {where}',
                'check PostgreSQL runs on the database host and listens on its private address,'
                ' and that a security group allows {port} from this host'),
    'timeout': ('timeout', 'no answer from {where} within {waited:.1f} s',
                'a security group or firewall drops traffic to {port}, or the host is down: check the instance is'
                ' ACTIVE and a rule allows this port from this host'),
    'dns': ('dns', 'the name {host} does not resolve',
            'check DB_HOST (use the private IP from the outputs file) and DNS resolution between the hosts'),
    'unreachable': ('unreachable', 'no route to {where}, or the connection was dropped',
                    'check both hosts are on the same private network and the router is attached'),
    'starting': ('unhealthy', 'the server at {where} is starting up, shutting down or full ({text})',
                 'wait for PostgreSQL to finish starting, or raise max_connections'),
    'other': ('error', 'connection to {where} failed: {text}', 'see the server log on the database host'),
    'not_encrypted': ('tls_not_tls', 'the connection is not encrypted', 'enable ssl on the PostgreSQL server'),
    'query': ('error', '{check} failed: {text}', 'see the PostgreSQL log on the database host'),
    'extension_not_created': ('not_found', 'extension {name} is installed on the server but not created in'
                                           ' database {dbname}',
                              'run CREATE EXTENSION {name} in {dbname} as a superuser (the database role does)'),
    'extension_missing': ('not_found', 'extension {name} is not installed on the database server',
                          'install it on the database host (pgvector: postgresql-<major>-pgvector)'
                          ' and CREATE EXTENSION {name}'),
    'extension_old': ('version', 'extension {name} is version {found}, older than the required {minimum}',
                      'ALTER EXTENSION {name} UPDATE after upgrading its package'),
    'vector_wrong': ('unhealthy', 'pgvector returned neighbour {nearest} instead of 2',
                     'check the vector extension works (ALTER EXTENSION vector UPDATE)'),
    'auth_schema': ('not_found', 'the auth.users table does not exist in {dbname}',
                    'apply the Supabase auth schema (database role: database_auth_schema: true)'
                    ' or point DB_* at the Supabase instance'),
    'privileges': ('denied', 'user {user} may not create objects in schema {schema}',
                   'GRANT CREATE ON SCHEMA {schema} TO {user} (or make the user own the database)'),
}

# libpq's words -> key of MESSAGES, first match wins. 'tls' is worked out with a handshake of our own.
LIBPQ_WORDS = (
    (('password authentication failed',), 'password'),
    (('database', 'does not exist'), 'database'),
    (('role', 'does not exist'), 'role'),
    (('no pg_hba.conf entry',), 'pg_hba'),
    (('server does not support ssl',), 'no_ssl'),
    (('invalid response to ssl negotiation',), 'not_postgres'),
    (('certificate',), 'tls'),
    (('ssl error',), 'tls'),
    (('ssl syscall error',), 'tls'),
    (('connection refused',), 'refused'),
    (('timeout expired',), 'timeout'),
    (('timed out',), 'timeout'),
    (('could not translate host name',), 'dns'),
    (('name or service not known',), 'dns'),
    (('no route to host',), 'unreachable'),
    (('network is unreachable',), 'unreachable'),
    (('server closed the connection unexpectedly',), 'unreachable'),
    (('the database system is starting up',), 'starting'),
    (('the database system is shutting down',), 'starting'),
    (('too many clients',), 'starting'),
)

SSL_REQUEST = struct.pack('!ii', 8, 80877103)


def version_tuple(text):
    """'0.8.0' -> (0, 8, 0); non-numeric parts count as 0 so '1.0beta' compares sanely."""
    parts = []
    for piece in str(text).split('.'):
        m = re.match(r'\d+', piece)
        parts.append(int(m.group(0)) if m else 0)
    return tuple(parts)


def failure(key, params, retryable=None, detail=None, **fields):
    """ProbeFailure from MESSAGES[key], with the connection options as fields."""
    reason, cause, fix = MESSAGES[key]
    values = dict(where='%s:%s' % (params['host'], params['port']), host=params['host'], port=params['port'],
                  user=params['user'], dbname=params['dbname'], ssl_mode=params['ssl_mode'], text='', waited=0.0)
    values.update(fields)
    return ProbeFailure(reason, cause.format(**values), fix.format(**values), retryable=retryable, detail=detail)


def connect_cause(message):
    """The key of MESSAGES that libpq's connection error text stands for ('tls' and 'other' included)."""
    low = ' '.join(str(message).split()).lower()
    for needles, key in LIBPQ_WORDS:
        if all(n in low for n in needles):
            return key
    return 'other'


def connect_failure(message, params, waited):
    """Turn a libpq connection error into a ProbeFailure (the guide's "Database Connection Issues").

    'tls' causes come back as 'other' here: the module replaces them with tls_diagnosis() results.
    """
    text = ' '.join(str(message).split())
    key = connect_cause(text)
    if key == 'tls':
        key = 'other'
    retryable = 'temporary failure' in text.lower() if key == 'dns' else None
    return failure(key, params, retryable=retryable, detail=text, text=text, waited=waited)


def ssl_request(sock):
    """PostgreSQL's SSLRequest, the preamble of a TLS handshake with it; NotTls when it answers 'N'."""
    from ansible_collections.gpt371.infra.plugins.module_utils._tls import NotTls
    sock.sendall(SSL_REQUEST)
    answer = sock.recv(1)
    if answer != b'S':
        raise NotTls('the server answered %r to SSLRequest' % answer)
