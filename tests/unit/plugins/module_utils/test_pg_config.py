"""_pg_config: what the database role writes into postgresql.auto.conf and pg_hba.conf."""
from ansible_collections.gpt371.infra.plugins.module_utils import _pg_config


def test_settings_join_listen_addresses_as_show_prints_them():
    got = _pg_config.settings(["10.0.0.5", "127.0.0.1"], "/etc/postgresql/17/main/tls")
    assert got == {"listen_addresses": "10.0.0.5, 127.0.0.1", "ssl": "on",
                   "ssl_cert_file": "/etc/postgresql/17/main/tls/server.crt",
                   "ssl_key_file": "/etc/postgresql/17/main/tls/server.key", "password_encryption": "scram-sha-256"}


def test_hba_rules_keep_local_peer_first_then_one_hostssl_per_cidr():
    rules = _pg_config.hba_rules(["10.20.0.0/24", "10.30.0.0/24"], "371gpt", "gpt371")
    assert [r["contype"] for r in rules] == ["local", "local", "hostssl", "hostssl"]
    assert rules[0]["users"] == "postgres" and rules[1]["users"] == "all"
    assert rules[3] == {"contype": "hostssl", "databases": "371gpt", "users": "gpt371", "address": "10.30.0.0/24",
                        "method": "scram-sha-256"}
    assert _pg_config.hba_rules([], "d", "u") == _pg_config.LOCAL_RULES
    rules[0]["method"] = "trust"
    assert _pg_config.LOCAL_RULES[0]["method"] == "peer"


def test_tls_sans_name_each_address_once():
    assert _pg_config.tls_sans("db-0", ["10.0.0.5", "10.0.0.5"]) == ["DNS:db-0", "DNS:localhost", "IP:10.0.0.5"]
    assert _pg_config.tls_sans("localhost", []) == ["DNS:localhost"]


def test_errors_name_the_variable_and_the_fix():
    assert _pg_config.errors(["10.0.0.5"], ["10.0.0.0/24"], 5432) == []
    assert _pg_config.errors(["*"], ["10.0.0.7/32"], "5432") == []
    found = _pg_config.errors(["db.example"], ["10.0.0.0", "nonsense/8"], 70000)
    assert any(m.startswith("database_listen_addresses: 'db.example'") for m in found)
    assert any("database_allowed_cidrs: '10.0.0.0' is not a network in CIDR form" in m for m in found)
    assert any("database_allowed_cidrs: 'nonsense/8'" in m for m in found)
    assert any(m.startswith("database_port: 70000") for m in found)
    assert _pg_config.errors([], [], 5432) == [
        "database_listen_addresses is empty: name the private address(es) PostgreSQL listens on",
        "database_allowed_cidrs is empty: name the private subnet(s) the application connects from"]


GOOD_AUDIT = {
    "cluster": "17  main    5432 online postgres /var/lib/postgresql/17/main /var/log/postgresql/x.log",
    "tls": {"results": [{"item": "server.crt", "stat": {"exists": True}}, {"item": "server.key", "stat": {"exists": True}}]},
    # postgresql_alter_system in check mode, changed_when false: no query it would run.
    "settings": {"results": [{"item": {"key": "ssl", "value": "on"}, "executed_queries": [], "changed": False,
                              "diff": {"before": {"setting": "on", "pending_restart": False},
                                       "after": {"setting": "on", "pending_restart": False}}}]},
    "hba": {"changed": False, "msgs": []},
    "info": {"databases": {"371gpt": {"owner": "gpt371", "extensions": {"vector": {}, "plpgsql": {}}}},
             "roles": {"gpt371": {}, "postgres": {}}},
    "database": "371gpt", "user": "gpt371", "extensions": ["vector"],
}


def test_drift_is_empty_when_the_audit_matches():
    assert _pg_config.drift([], GOOD_AUDIT) == []


def test_drift_names_each_difference():
    audit = dict(GOOD_AUDIT, cluster="17 main 5432 down postgres",
                 settings={"results": [{"item": {"key": "ssl", "value": "on"}, "changed": False,
                                        "executed_queries": ["ALTER SYSTEM SET ssl = 'on'"],
                                        "diff": {"before": {"setting": "off", "pending_restart": False},
                                                 "after": {"setting": "off", "pending_restart": False}}},
                                       {"item": {"key": "x"}, "skipped": True}]},
                 hba={"changed": False, "msgs": ["Changed"]},
                 info={"databases": {"371gpt": {"owner": "postgres", "extensions": {}}}, "roles": {}})
    assert _pg_config.drift([], audit) == [
        "the cluster is not online", "setting ssl is off, wanted on", "pg_hba.conf differs from the wanted rules",
        "role gpt371 missing", "database 371gpt is owned by postgres, wanted gpt371",
        "extensions missing in 371gpt: vector"]


def test_drift_stops_at_missing_packages():
    assert _pg_config.drift(["postgresql-17"], {}) == ["packages missing: postgresql-17"]


# Verifiers PostgreSQL 17 stored for the password below (CREATE ROLE ... PASSWORD with password_encryption
# scram-sha-256, then md5).
PASSWORD = 'molecule-Db-pw-7Q2x'
SCRAM = ('SCRAM-SHA-256$4096:A8ibIzTWcJ4YaQkKtpcskg==$a+stNWaZ8m8Pz4YkInW7K42dFj984UXQ2+9e1hcSedU=:'
         'MsSF1LGFo0MX79xpspaH+8tiWl8iv+rwgD9mGOo1Hdc=')
MD5 = 'md5f61dcfbd257699aca7be0e475d6dfefc'


def test_password_matches_postgresql_s_scram_verifier_only():
    assert _pg_config.password_matches(SCRAM, PASSWORD)
    assert not _pg_config.password_matches(SCRAM, PASSWORD + 'x')
    # MD5 (the role hashes with SCRAM: postgresql_user sets it again), none, or SASLprep's business: not kept.
    assert not _pg_config.password_matches(MD5, PASSWORD)
    assert not _pg_config.password_matches(None, PASSWORD)
    assert not _pg_config.password_matches(SCRAM, u'molecule-Db-pw-7Q2x\u00a0')


def _cluster(password=SCRAM, owner='gpt371', encoding='UTF8'):
    rows = [{'kind': 'setting', 'name': 'ssl', 'setting': 'on', 'pending_restart': False},
            {'kind': 'role', 'name': 'gpt371', 'setting': password, 'pending_restart': False}]
    if owner:
        rows += [{'kind': 'database_owner', 'name': '371gpt', 'setting': owner, 'pending_restart': False},
                 {'kind': 'database_encoding', 'name': '371gpt', 'setting': encoding, 'pending_restart': False}]
    return rows


DATABASE = [{'kind': 'extension', 'name': 'vector', 'setting': '0.8.0'},
            {'kind': 'schema', 'name': 'auth', 'setting': 'gpt371'},
            {'kind': 'table', 'name': 'auth.users', 'setting': 'gpt371'}]


def plan(cluster, database, **changes):
    args = dict(user='gpt371', password=PASSWORD, database='371gpt', extensions=['vector'], auth_schema=True)
    args.update(changes)
    return _pg_config.objects_plan(cluster, database, **args)


def test_objects_as_created_need_no_module():
    assert plan(_cluster(), DATABASE) == []
    assert plan(_cluster(), DATABASE[:1], auth_schema=False) == []


def test_each_object_that_differs_is_named_in_the_role_s_order():
    assert plan(_cluster(password=MD5), DATABASE) == ['user']
    assert plan(_cluster(), DATABASE, password='changed') == ['user']
    assert plan(_cluster(owner='postgres'), DATABASE) == ['database']
    assert plan(_cluster(encoding='SQL_ASCII'), DATABASE) == ['database']  # postgresql_db then fails, loudly
    assert plan(_cluster(), DATABASE, extensions=['vector', 'pg_trgm']) == ['extensions']
    assert plan(_cluster(), [DATABASE[0], dict(DATABASE[1], setting='postgres')]) == ['auth_schema', 'auth_table']


def test_a_fresh_cluster_needs_every_module():
    fresh = [row for row in _cluster(owner=None) if row['kind'] == 'setting']
    assert plan(fresh, None) == ['user', 'database', 'extensions', 'auth_schema', 'auth_table']


def test_drift_names_each_reason_the_tls_read_gives_for_a_generated_pair():
    reasons = ["/etc/postgresql/17/main/tls/server.key has mode 0640, wanted 0600",
               "/etc/postgresql/17/main/tls/server.crt is not issued by the CA given"]
    audit = dict(GOOD_AUDIT, tls={"results": [{"item": "server.crt", "skipped": True}]}, tls_reasons=reasons)
    assert _pg_config.drift([], audit) == ["TLS: " + r for r in reasons]
    assert _pg_config.drift([], dict(audit, tls_reasons=[])) == []
