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
    nearest-neighbour query over C(vector(3)) values, in one round trip; it writes nothing, not even a temporary
    table, so a read-only session such as a replica's passes),
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

from ansible_collections.gpt371.infra.plugins.module_utils._probe import run_probe
from ansible_collections.gpt371.infra.plugins.module_utils._pg_probe import PgProbe


def main():
    run_probe(PgProbe)


if __name__ == '__main__':
    main()
