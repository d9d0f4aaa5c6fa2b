# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpt371.infra maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
#
# PRIVATE to gpt371.infra: may change without notice; do not import from other collections.
"""The checks of the pg_probe module, also run by host_probes (one module run for all of an app host's probes)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import math
import re
import traceback

from ansible.module_utils.basic import env_fallback
from ansible_collections.gpt371.infra.plugins.module_utils._probe import (
    ProbeModule, check_file, check_port, invalid_option)
from ansible_collections.gpt371.infra.plugins.module_utils._pg import (
    connect_cause, connect_failure, failure, ssl_request, version_tuple)

try:
    import psycopg2
    HAS_PSYCOPG2, PSYCOPG2_ERROR = True, None
except ImportError:
    HAS_PSYCOPG2, PSYCOPG2_ERROR = False, traceback.format_exc()

TLS_REQUIRED = ('require', 'verify-ca', 'verify-full')
AUTH_USERS_SQL = ("SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n"
                  " ON n.oid = c.relnamespace WHERE n.nspname = 'auth' AND c.relname = 'users')")
EXTENSION_NAME = r'^[A-Za-z_][A-Za-z0-9_-]*$'
# The pgvector round trip: vector(3) values in, a nearest-neighbour query out, one statement. No table, not even a
# temporary one: a read-only session (a replica, default_transaction_read_only, a role without TEMP) passes too.
VECTOR_ROUNDTRIP_SQL = ("SELECT id FROM (VALUES (1, '[1,0,0]'::vector(3)), (2, '[0,1,0]'), (3, '[0,0,1]'))"
                        " AS probe (id, embedding) ORDER BY embedding <-> '[0.1,0.9,0]' LIMIT 1")


class PgProbe(ProbeModule):
    module_name = 'pg_probe'
    argument_spec = dict(
        host=dict(type='str', required=True, fallback=(env_fallback, ['DB_HOST'])),
        port=dict(type='int', default=5432, fallback=(env_fallback, ['DB_PORT'])),
        dbname=dict(type='str', default='371gpt', fallback=(env_fallback, ['DB_NAME'])),
        user=dict(type='str', required=True, fallback=(env_fallback, ['DB_USER'])),
        password=dict(type='str', required=True, no_log=True, fallback=(env_fallback, ['DB_PASSWORD'])),
        ssl_mode=dict(type='str', default='require',
                      choices=['disable', 'allow', 'prefer', 'require', 'verify-ca', 'verify-full']),
        ca_cert=dict(type='path', aliases=['ssl_rootcert']),
        connect_timeout=dict(type='int', default=5),
        required_extensions=dict(type='dict', default={'vector': '0.5.0'}),
        vector_roundtrip=dict(type='bool', default=True),
        check_auth_schema=dict(type='bool', default=False),
        check_privileges=dict(type='bool', default=False),
        privilege_schema=dict(type='str', default='public'),
    )
    module_kwargs = dict(required_if=[('ssl_mode', 'verify-full', ['ca_cert']),
                                      ('ssl_mode', 'verify-ca', ['ca_cert'])])
    required_libs = ((HAS_PSYCOPG2, 'psycopg2', PSYCOPG2_ERROR),)

    def __init__(self, params=None, warn=None):
        super(PgProbe, self).__init__(params, warn)
        self.conn = None

    def secrets(self):
        return [self.params['password']]

    def target(self):
        return '%s:%s' % (self.params['host'], self.params['port'])

    def timeout_failure(self, check, waited):
        return failure('timeout', self.params, waited=waited)

    def validate(self):
        p = self.params
        if not p['host'].strip() or any(c.isspace() for c in p['host']):
            raise invalid_option('host', p['host'], 'a host name, an IP address or a socket directory, without spaces',
                                 '10.10.0.12')
        check_port('port', p['port'])
        if not p['dbname']:
            raise invalid_option('dbname', p['dbname'], 'a database name', '371gpt')
        if p['connect_timeout'] < 1:
            raise invalid_option('connect_timeout', p['connect_timeout'], 'a whole number of seconds >= 1', '5')
        check_file('ca_cert', p['ca_cert'], pem=True)
        for name, minimum in p['required_extensions'].items():
            if not re.match(EXTENSION_NAME, name) or not re.match(r'^(\d+(\.\d+)*)?$', str(minimum or '')):
                raise invalid_option('required_extensions', {name: minimum},
                                     'a mapping of extension names to minimum versions (digits and dots, or "")',
                                     "{vector: '0.5.0'}")

    def explain(self, check, exc):
        p = self.params
        if check == 'connect' and isinstance(exc, psycopg2.OperationalError):
            if connect_cause(exc) == 'tls':
                return self.tls_failure(exc)
            return connect_failure(exc, p, self.waited())
        if isinstance(exc, psycopg2.Error):
            return failure('query', p, retryable=isinstance(exc, psycopg2.OperationalError),
                           check=check, text=' '.join(str(exc).split()))
        return None

    def tls_failure(self, exc):
        """Why libpq's TLS failed ("certificate verify failed" says no more), from handshakes of our own."""
        # Imported here: a module's code is compiled on every run, and a working connection never needs it.
        from ansible_collections.gpt371.infra.plugins.module_utils._tls import tls_diagnosis, tls_failure
        p = self.params
        verify = p['ssl_mode'] in ('verify-ca', 'verify-full')
        diagnosis = tls_diagnosis(p['host'], p['port'], self.deadline.bound(p['connect_timeout']), verify=verify,
                                  cafile=p['ca_cert'], check_hostname=p['ssl_mode'] == 'verify-full',
                                  preamble=ssl_request)
        return tls_failure(diagnosis, self.target(), p['ca_cert'], 'ssl_mode: disable',
                           fallback_detail=' '.join(str(exc).split()),
                           server_setting='ssl_min_protocol_version in postgresql.conf')

    def cleanup(self):
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    def connect_timeout(self):
        # libpq counts whole seconds, at least 2; the watchdog holds the attempt to the deadline below that.
        return max(2, int(math.ceil(self.deadline.bound(self.params['connect_timeout']))))

    def query(self, sql, args=None):
        with self.conn.cursor() as cur:
            cur.execute(sql, args)
            return cur.fetchall()

    def run(self):
        p = self.params
        self.cleanup()
        with self.check('connect') as c:
            self.conn = psycopg2.connect(
                host=p['host'], port=p['port'], dbname=p['dbname'], user=p['user'], password=p['password'],
                sslmode=p['ssl_mode'], sslrootcert=p['ca_cert'], connect_timeout=self.connect_timeout(),
                application_name='gpt371-pg_probe')
            # Each query is its own round trip, without psycopg2's BEGIN before it; the probe writes nothing.
            self.conn.autocommit = True
            c.detail = 'authenticated as %s to %s at %s:%s' % (p['user'], p['dbname'], p['host'], p['port'])
        self.check_tls()
        with self.check('server_version') as c:
            # Reported by the server when the connection starts: no query needed.
            version = self.conn.get_parameter_status('server_version') or self.query('SHOW server_version')[0][0]
            self.results['server_version'] = c.detail = version
        if p['required_extensions']:
            self.check_extensions(p['required_extensions'])
        if p['vector_roundtrip'] and 'vector' in p['required_extensions']:
            self.check_vector_roundtrip()
        if p['check_auth_schema']:
            with self.check('auth_schema') as c:
                # The catalog, not to_regclass(): the app role may lack USAGE on schema auth.
                if not self.query(AUTH_USERS_SQL)[0][0]:
                    raise failure('auth_schema', p)
                c.detail = 'auth.users present'
        if p['check_privileges']:
            with self.check('privileges') as c:
                schema = p['privilege_schema']
                if not self.query("SELECT has_schema_privilege(current_user, %s, 'CREATE')", (schema,))[0][0]:
                    raise failure('privileges', p, schema=schema)
                c.detail = '%s may create in schema %s' % (p['user'], schema)
        # Nothing to roll back by hand: closing the connection (cleanup) discards the open transaction.

    def check_tls(self):
        with self.check('tls') as c:
            in_use = bool(self.conn.info.ssl_in_use)
            self.results['ssl_in_use'] = in_use
            if in_use:
                self.results['ssl_protocol'] = self.results['tls_version'] = self.conn.info.ssl_attribute('protocol')
                c.detail = '%s, %s' % (self.results['ssl_protocol'], self.conn.info.ssl_attribute('cipher'))
            elif self.params['ssl_mode'] in TLS_REQUIRED:
                raise failure('not_encrypted', self.params)
            else:
                c.detail = 'not encrypted (ssl_mode=%s): the guide asks for TLS on every connection' % (
                    self.params['ssl_mode'])

    def check_extensions(self, required):
        p = self.params
        with self.check('extensions') as c:
            found = dict(self.query('SELECT extname, extversion FROM pg_extension WHERE extname = ANY(%s)',
                                    (list(required),)))
            self.results['extensions'] = found
            for name, minimum in sorted(required.items()):
                if name not in found:
                    available = self.query('SELECT 1 FROM pg_available_extensions WHERE name = %s', (name,))
                    raise failure('extension_not_created' if available else 'extension_missing', p, name=name)
                if minimum and version_tuple(found[name]) < version_tuple(minimum):
                    raise failure('extension_old', p, name=name, found=found[name], minimum=minimum)
            c.detail = ', '.join('%s %s' % kv for kv in sorted(found.items()))

    def check_vector_roundtrip(self):
        with self.check('vector_roundtrip') as c:
            with self.conn.cursor() as cur:
                cur.execute(VECTOR_ROUNDTRIP_SQL)
                nearest = cur.fetchone()[0]
            if nearest != 2:
                raise failure('vector_wrong', self.params, nearest=nearest)
            c.detail = 'nearest-neighbour query on vector(3) values (writes nothing)'
