#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpt371.infra maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
module: pg_probe
short_description: Prove an application host can use the 371GPT database (PostgreSQL + pgvector)
version_added: 0.1.0
description:
  - Connects to PostgreSQL the way the 371GPT services do and checks, in order, C(connect) (reach and
    authenticate), C(tls) (TLS in use when O(ssl_mode) asks for it), C(server_version), C(extensions) (each of
    O(required_extensions) created in the database at or above its minimum version), C(vector_roundtrip) (a
    temporary table with a C(vector(3)) column, an insert and a nearest-neighbour query, in one round trip and
    one transaction that drops the table),
    optionally C(auth_schema) (the Supabase-compatible C(auth.users) table) and C(privileges) (the user may
    create objects in O(privilege_schema)).
  - Replaces the integration guide's C(python -c "import psycopg2 ...") one-liner with named checks, bounded
    retries, and a failure message that names the cause and the fix.
  - Connection options fall back to the guide's C(DB_*) environment variables.
author:
  - gpt371.infra maintainers (@gpt371)
extends_documentation_fragment:
  - gpt371.infra.probe
requirements:
  - psycopg2 (or psycopg2-binary) on the host that runs the module
options:
  host:
    description: Database host (the supabase instance's private IP). Falls back to E(DB_HOST).
    type: str
    required: true
  port:
    description: Database port, from 1 to 65535. Falls back to E(DB_PORT).
    type: int
    default: 5432
  dbname:
    description: Database name. Falls back to E(DB_NAME).
    type: str
    default: '371gpt'
  user:
    description: Database user. Falls back to E(DB_USER).
    type: str
    required: true
  password:
    description: Password of O(user). Falls back to E(DB_PASSWORD). Never logged.
    type: str
    required: true
  ssl_mode:
    description:
      - libpq C(sslmode). The guide asks for TLS on every connection, hence the default.
      - V(verify-full) checks the certificate chain against O(ca_cert) and the host name.
    type: str
    default: require
    choices: [disable, allow, prefer, require, verify-ca, verify-full]
  ca_cert:
    description:
      - CA certificate bundle (PEM) that signed the server certificate; needed for V(verify-ca) and V(verify-full).
      - The same option name as in M(gpt371.infra.s3_probe) and M(gpt371.infra.xpipe_health); C(ssl_rootcert)
        (libpq's name) stays an alias.
      - Checked before any network call, a missing or unreadable file, or one without a certificate, fails with
        reason V(config).
    type: path
    aliases: [ssl_rootcert]
  connect_timeout:
    description:
      - Seconds to wait for one connection attempt (libpq counts whole seconds, at least 2).
      - Never more than what is left of O(timeout), which bounds the whole task.
    type: int
    default: 5
  required_extensions:
    description:
      - Extensions that must be created in the database, mapped to their minimum version (V('') for any).
      - Set to V({}) to skip the check.
    type: dict
    default: {vector: '0.5.0'}
  vector_roundtrip:
    description: Run the pgvector round trip (only when C(vector) is among O(required_extensions)).
    type: bool
    default: true
  check_auth_schema:
    description: Check the Supabase-compatible C(auth) schema and its C(auth.users) table exist.
    type: bool
    default: false
  check_privileges:
    description: Check O(user) may create objects in O(privilege_schema).
    type: bool
    default: false
  privilege_schema:
    description: Schema checked by O(check_privileges).
    type: str
    default: public
notes:
  - Its failures carry the reasons V(auth), V(config), V(denied), V(dependency), V(dns), V(error), V(not_found),
    V(refused), V(timeout), V(tls_expired), V(tls_handshake), V(tls_hostname), V(tls_not_tls), V(tls_not_yet_valid),
    V(tls_protocol), V(tls_self_signed), V(tls_untrusted), V(unhealthy), V(unreachable) or V(version).
seealso:
  - module: community.postgresql.postgresql_ping
  - module: gpt371.infra.s3_probe
  - module: gpt371.infra.xpipe_health
'''

EXAMPLES = r'''
- name: Check the database from an app host, with the values of its .env
  gpt371.infra.pg_probe:
    host: "{{ supabase_instance_ip }}"
    user: "{{ database_user }}"
    password: "{{ database_password }}"
    check_auth_schema: true

- name: Verify the server certificate too
  gpt371.infra.pg_probe:
    host: db.internal.example
    user: app
    password: "{{ vault_db_password }}"
    ssl_mode: verify-full
    ca_cert: /etc/371gpt/db-ca.pem

- name: Report instead of failing, so every integration point gets checked
  gpt371.infra.pg_probe:
    host: "{{ supabase_instance_ip }}"
    user: app
    password: "{{ vault_db_password }}"
    fail_on_error: false
    retries: 0
'''

RETURN = r'''
extends_documentation_fragment:
  - gpt371.infra.probe
server_version:
  description: The server's C(server_version).
  returned: when the server_version check ran
  type: str
  sample: "17.6 (Debian 17.6-0+deb13u1)"
extensions:
  description: Version of each required extension found in the database.
  returned: when the extensions check ran
  type: dict
  sample: {vector: "0.8.0"}
ssl_in_use:
  description: Whether the connection is encrypted.
  returned: when connected
  type: bool
  sample: true
ssl_protocol:
  description: TLS protocol of the connection.
  returned: when connected over TLS
  type: str
  sample: TLSv1.3
'''

import math
import re
import traceback

from ansible.module_utils.basic import env_fallback
from ansible_collections.gpt371.infra.plugins.module_utils._probe import (
    ProbeModule, check_file, check_port, invalid_option, run_probe)
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
# The pgvector round trip, sent as one statement list: one round trip and one implicit transaction (the
# connection is in autocommit), at whose end the temporary table is dropped; nothing outlives it.
VECTOR_ROUNDTRIP_SQL = ("CREATE TEMPORARY TABLE gpt371_probe (id int, embedding vector(3)) ON COMMIT DROP;"
                        " INSERT INTO gpt371_probe VALUES (1, '[1,0,0]'), (2, '[0,1,0]'), (3, '[0,0,1]');"
                        " SELECT id FROM gpt371_probe ORDER BY embedding <-> '[0.1,0.9,0]' LIMIT 1")


class PgProbe(ProbeModule):
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

    def __init__(self):
        super(PgProbe, self).__init__()
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
                cur.execute(VECTOR_ROUNDTRIP_SQL)  # one round trip; the fetch reads the last statement's rows
                nearest = cur.fetchone()[0]
            if nearest != 2:
                raise failure('vector_wrong', self.params, nearest=nearest)
            c.detail = 'insert + nearest-neighbour query on vector(3), table dropped with its transaction'


def main():
    run_probe(PgProbe)


if __name__ == '__main__':
    main()
