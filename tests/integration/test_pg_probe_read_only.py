"""pg_probe on a session that may not write: a read replica, a role with default_transaction_read_only.

The server (real PostgreSQL + pgvector, the `services` fixture) makes the session read-only through libpq's
PGOPTIONS, as a replica or ALTER ROLE ... SET default_transaction_read_only would. Every check must still pass:
the pgvector round trip is a query over values, and no check writes, not even a temporary table.
"""
import psycopg2
import pytest

from tests.helpers import run_module

READ_ONLY = {'PGOPTIONS': '-c default_transaction_read_only=on'}


def probe_args(services):
    pg = services['pg']
    return dict(host=pg['host'], port=pg['port'], dbname=pg['dbname'], user=pg['user'], password=pg['password'],
                ssl_mode='verify-full', ca_cert=services['ca_cert'], check_auth_schema=True,
                check_privileges=True)


def test_every_check_passes_in_a_read_only_session(services):
    result, rc, _wall = run_module('pg_probe', probe_args(services), env=READ_ONLY)
    assert rc == 0 and not result.get('failed'), result.get('msg')
    checks = {check['name']: check for check in result['checks']}
    assert checks['vector_roundtrip']['ok'], checks['vector_roundtrip']
    assert 'writes nothing' in checks['vector_roundtrip']['detail']


def test_the_session_is_read_only_indeed(services):
    """The premise above: this PGOPTIONS makes the server refuse a write (the old round trip's temporary table)."""
    pg = services['pg']
    conn = psycopg2.connect(host=pg['host'], port=pg['port'], dbname=pg['dbname'], user=pg['user'],
                            password=pg['password'], options=READ_ONLY['PGOPTIONS'])
    conn.autocommit = True
    try:
        with conn.cursor() as cur, pytest.raises(psycopg2.errors.ReadOnlySqlTransaction):
            cur.execute('CREATE TEMPORARY TABLE gpt371_write_test (id int)')
    finally:
        conn.close()
