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
    temporary table with a C(vector(3)) column, an insert and a nearest-neighbour query, all rolled back),
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
    description: Database port. Falls back to E(DB_PORT).
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
    type: path
    aliases: [ssl_rootcert]
  connect_timeout:
    description: Seconds to wait for one connection attempt (libpq counts at least 2).
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
ok:
  description: Whether every check passed.
  returned: always
  type: bool
  sample: true
checks:
  description: One entry per check run (C(name), C(ok), C(detail), C(elapsed_ms)); the first failure ends an attempt.
  returned: always
  type: list
  elements: dict
  sample: [{name: connect, ok: true, detail: "authenticated as app to 371gpt at 10.0.0.12:5432", elapsed_ms: 14}]
attempts:
  description: Attempts made; transient failures (refused, timed out) are retried up to O(retries) times.
  returned: always
  type: int
  sample: 1
elapsed_ms:
  description: Time of the whole run in milliseconds.
  returned: always
  type: int
  sample: 61
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
failed_check:
  description: Name of the check that failed.
  returned: on failure
  type: str
  sample: connect
cause:
  description: Cause of the failure in plain words.
  returned: on failure
  type: str
  sample: password authentication failed for user app
fix:
  description: What to change.
  returned: on failure
  type: str
  sample: check DB_PASSWORD matches the provisioned value (outputs file / vault) and that user app exists
msg:
  description: C(<check> check failed after N attempts, <cause>, <fix>).
  returned: on failure
  type: str
'''

import traceback

from ansible.module_utils.basic import env_fallback
from ansible_collections.gpt371.infra.plugins.module_utils._probe import ProbeFailure, ProbeModule
from ansible_collections.gpt371.infra.plugins.module_utils._pg import connect_failure, version_tuple

try:
    import psycopg2
    HAS_PSYCOPG2, PSYCOPG2_ERROR = True, None
except ImportError:
    HAS_PSYCOPG2, PSYCOPG2_ERROR = False, traceback.format_exc()

TLS_REQUIRED = ('require', 'verify-ca', 'verify-full')
AUTH_USERS_SQL = ("SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n"
                  " ON n.oid = c.relnamespace WHERE n.nspname = 'auth' AND c.relname = 'users')")


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

    def explain(self, check, exc):
        if check == 'connect' and isinstance(exc, psycopg2.OperationalError):
            return connect_failure(exc, self.params, self.connect_timeout())
        if isinstance(exc, psycopg2.Error):
            return ProbeFailure('%s failed: %s' % (check, ' '.join(str(exc).split())),
                                'see the PostgreSQL log on the database host',
                                retryable=isinstance(exc, psycopg2.OperationalError))
        return None

    def cleanup(self):
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    def connect_timeout(self):
        return int(self.deadline.bound(self.params['connect_timeout'], floor=2))

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
            c.detail = 'authenticated as %s to %s at %s:%s' % (p['user'], p['dbname'], p['host'], p['port'])
        self.check_tls()
        with self.check('server_version') as c:
            self.results['server_version'] = c.detail = self.query('SHOW server_version')[0][0]
        if p['required_extensions']:
            self.check_extensions(p['required_extensions'])
        if p['vector_roundtrip'] and 'vector' in p['required_extensions']:
            self.check_vector_roundtrip()
        if p['check_auth_schema']:
            with self.check('auth_schema') as c:
                # The catalog, not to_regclass(): the app role may lack USAGE on schema auth.
                if not self.query(AUTH_USERS_SQL)[0][0]:
                    raise ProbeFailure('the auth.users table does not exist in %s' % p['dbname'],
                                       'apply the Supabase auth schema (database role: database_auth_schema: true)'
                                       ' or point DB_* at the Supabase instance')
                c.detail = 'auth.users present'
        if p['check_privileges']:
            with self.check('privileges') as c:
                schema = p['privilege_schema']
                if not self.query("SELECT has_schema_privilege(current_user, %s, 'CREATE')", (schema,))[0][0]:
                    raise ProbeFailure('user %s may not create objects in schema %s' % (p['user'], schema),
                                       'GRANT CREATE ON SCHEMA %s TO %s (or make the user own the database)'
                                       % (schema, p['user']))
                c.detail = '%s may create in schema %s' % (p['user'], schema)
        self.conn.rollback()

    def check_tls(self):
        with self.check('tls') as c:
            in_use = bool(self.conn.info.ssl_in_use)
            self.results['ssl_in_use'] = in_use
            if in_use:
                self.results['ssl_protocol'] = self.conn.info.ssl_attribute('protocol')
                c.detail = '%s, %s' % (self.results['ssl_protocol'], self.conn.info.ssl_attribute('cipher'))
            elif self.params['ssl_mode'] in TLS_REQUIRED:
                raise ProbeFailure('the connection is not encrypted', 'enable ssl on the PostgreSQL server')
            else:
                c.detail = 'not encrypted (ssl_mode=%s): the guide asks for TLS on every connection' % (
                    self.params['ssl_mode'])

    def check_extensions(self, required):
        with self.check('extensions') as c:
            found = dict(self.query('SELECT extname, extversion FROM pg_extension WHERE extname = ANY(%s)',
                                    (list(required),)))
            self.results['extensions'] = found
            for name, minimum in sorted(required.items()):
                if name not in found:
                    available = self.query('SELECT 1 FROM pg_available_extensions WHERE name = %s', (name,))
                    if available:
                        raise ProbeFailure(
                            'extension %s is installed on the server but not created in database %s'
                            % (name, self.params['dbname']),
                            'run CREATE EXTENSION %s in %s as a superuser (the database role does)'
                            % (name, self.params['dbname']))
                    raise ProbeFailure('extension %s is not installed on the database server' % name,
                                       'install it on the database host (pgvector: postgresql-<major>-pgvector)'
                                       ' and CREATE EXTENSION %s' % name)
                if minimum and version_tuple(found[name]) < version_tuple(minimum):
                    raise ProbeFailure('extension %s is version %s, older than the required %s'
                                       % (name, found[name], minimum),
                                       'ALTER EXTENSION %s UPDATE after upgrading its package' % name)
            c.detail = ', '.join('%s %s' % kv for kv in sorted(found.items()))

    def check_vector_roundtrip(self):
        with self.check('vector_roundtrip') as c:
            with self.conn.cursor() as cur:
                cur.execute('SAVEPOINT gpt371_probe')
                cur.execute('CREATE TEMPORARY TABLE gpt371_probe (id int, embedding vector(3)) ON COMMIT DROP')
                cur.execute("INSERT INTO gpt371_probe VALUES (1, '[1,0,0]'), (2, '[0,1,0]'), (3, '[0,0,1]')")
                cur.execute("SELECT id FROM gpt371_probe ORDER BY embedding <-> '[0.1,0.9,0]' LIMIT 1")
                nearest = cur.fetchone()[0]
                cur.execute('ROLLBACK TO SAVEPOINT gpt371_probe')
            if nearest != 2:
                raise ProbeFailure('pgvector returned neighbour %s instead of 2' % nearest,
                                   'check the vector extension works (ALTER EXTENSION vector UPDATE)')
            c.detail = 'insert + nearest-neighbour query on vector(3), rolled back'


def main():
    PgProbe()()


if __name__ == '__main__':
    main()
