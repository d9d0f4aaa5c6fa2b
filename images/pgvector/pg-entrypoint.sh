#!/bin/sh
# Test database server. Environment:
#   PG_PASSWORD (app user's password), PG_DB, PG_USER, PG_TLS=on|off,
#   PG_VECTOR=on|off (create the extension), PG_AUTH_SCHEMA=on|off.
# TLS key/cert are read from /certs (server.crt, server.key) when PG_TLS=on.
set -e
D=/var/lib/postgresql/data
B=/usr/lib/postgresql/17/bin
if [ ! -s "$D/PG_VERSION" ]; then
  $B/initdb -D "$D" -U postgres --auth-local=trust --auth-host=scram-sha-256 >/dev/null
  {
    echo "listen_addresses = '*'"
    if [ "${PG_TLS:-on}" = on ]; then
      cp /certs/server.crt /certs/server.key "$D/"; chmod 600 "$D/server.key"
      echo "ssl = on"; echo "ssl_cert_file = 'server.crt'"; echo "ssl_key_file = 'server.key'"
    fi
  } >> "$D/postgresql.conf"
  echo "host all all 0.0.0.0/0 scram-sha-256" >> "$D/pg_hba.conf"
  $B/pg_ctl -D "$D" -o "-c listen_addresses=''" -w start >/dev/null
  psql -v ON_ERROR_STOP=1 -q -U postgres <<SQL
CREATE ROLE "${PG_USER:-app}" LOGIN PASSWORD '${PG_PASSWORD:-app}';
CREATE DATABASE "${PG_DB:-371gpt}" OWNER "${PG_USER:-app}";
SQL
  if [ "${PG_VECTOR:-on}" = on ]; then
    psql -q -U postgres -d "${PG_DB:-371gpt}" -c 'CREATE EXTENSION IF NOT EXISTS vector'
  fi
  if [ "${PG_AUTH_SCHEMA:-on}" = on ]; then
    psql -q -U postgres -d "${PG_DB:-371gpt}" -c 'CREATE SCHEMA auth; CREATE TABLE auth.users (id uuid PRIMARY KEY, email text)'
  fi
  $B/pg_ctl -D "$D" -m fast -w stop >/dev/null
fi
exec $B/postgres -D "$D"
