"""Fast sanity tests of the integration fixtures themselves: each service really behaves as the
probe tests assume (real TLS, real authentication failures, real IAM denials, controllable faults)."""
import json
import os
import socket
import ssl
import time
import uuid

import boto3
import botocore.exceptions
import psycopg2
import pytest
import requests
from botocore.config import Config


# ---------------------------------------------------------------- PostgreSQL

def _pg(services, port_key="port", **kw):
    pg = services["pg"]
    params = dict(host=pg["host"], port=pg[port_key], dbname=pg["dbname"], user=pg["user"],
                  password=pg["password"], connect_timeout=5)
    params.update(kw)
    return psycopg2.connect(**params)


def test_pg_tls_verify_full_with_vector_and_auth_schema(services):
    with _pg(services, sslmode="verify-full", sslrootcert=services["ca_cert"]) as conn:
        cur = conn.cursor()
        cur.execute("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
        assert cur.fetchone()[0] is True
        cur.execute("SELECT extversion FROM pg_extension WHERE extname = 'vector'")
        assert cur.fetchone() is not None
        # Via the catalog: `app` has no USAGE on schema auth (created by the superuser, as in Supabase),
        # so to_regclass('auth.users') raises "permission denied for schema auth".
        cur.execute("SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
                    " WHERE n.nspname = 'auth' AND c.relname = 'users'")
        assert cur.fetchone()[0] == 1
        cur.execute("SELECT '[1,2,3]'::vector <-> '[1,2,4]'::vector")
        assert cur.fetchone()[0] == pytest.approx(1.0)
    conn.close()


def test_pg_plain_server_refuses_ssl(services):
    with pytest.raises(psycopg2.OperationalError, match="(?i)server does not support SSL"):
        _pg(services, "port_plain", sslmode="require")
    _pg(services, "port_plain", sslmode="disable").close()


def test_pg_novector_has_extension_available_but_not_created(services):
    conn = _pg(services, "port_novector", sslmode="require")
    cur = conn.cursor()
    cur.execute("SELECT count(*) FROM pg_extension WHERE extname = 'vector'")
    assert cur.fetchone()[0] == 0
    cur.execute("SELECT count(*) FROM pg_available_extensions WHERE name = 'vector'")
    assert cur.fetchone()[0] == 1
    conn.close()


def test_pg_wrong_password_and_unknown_db(services):
    with pytest.raises(psycopg2.OperationalError, match="password authentication failed"):
        _pg(services, sslmode="require", password="wrong")
    with pytest.raises(psycopg2.OperationalError, match="does not exist"):
        _pg(services, sslmode="require", dbname="nosuchdb")


def test_pg_hang_port_is_bounded_by_connect_timeout(services):
    start = time.monotonic()
    with pytest.raises(psycopg2.OperationalError, match="(?i)timeout"):
        _pg(services, "port_hang", sslmode="require", connect_timeout=2)
    assert time.monotonic() - start < 10


def test_pg_closed_port_refuses(services):
    with pytest.raises(psycopg2.OperationalError, match="(?i)refused"):
        _pg(services, "port_closed", sslmode="require")


# ---------------------------------------------------------------- S3

def _s3(services, endpoint_key="endpoint", access="access_key", secret="secret_key", **kw):
    s = services["s3"]
    return boto3.client("s3", endpoint_url=s[endpoint_key], region_name=s["region"],
                        aws_access_key_id=kw.pop("access_value", s.get(access)),
                        aws_secret_access_key=kw.pop("secret_value", s.get(secret)),
                        verify=services["ca_cert"],
                        config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1},
                                      connect_timeout=3, read_timeout=10), **kw)


def _error_code(excinfo):
    return excinfo.value.response["Error"]["Code"]


def test_s3_main_identity_roundtrip_across_http_and_https(services):
    bucket, key = services["s3"]["bucket"], f"fixture-check/{uuid.uuid4().hex}"
    http, https = _s3(services), _s3(services, "endpoint_https")
    http.put_object(Bucket=bucket, Key=key, Body=b"payload")  # boto3's default checksums included
    assert https.get_object(Bucket=bucket, Key=key)["Body"].read() == b"payload"  # same backend
    https.delete_object(Bucket=bucket, Key=key)
    with pytest.raises(botocore.exceptions.ClientError) as e:
        http.head_object(Bucket=bucket, Key=key)
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404


def test_s3_https_cert_is_signed_by_test_ca(services):
    # Without the CA the handshake must fail: the endpoint's TLS is real.
    client = boto3.client("s3", endpoint_url=services["s3"]["endpoint_https"], region_name="us-east-1",
                          aws_access_key_id="x", aws_secret_access_key="y", verify=True,
                          config=Config(retries={"max_attempts": 1}))
    with pytest.raises(botocore.exceptions.SSLError):
        client.list_buckets()


def test_s3_readonly_identity_reads_but_cannot_write(services):
    bucket, key = services["s3"]["bucket"], f"fixture-check/{uuid.uuid4().hex}"
    main = _s3(services)
    ro = _s3(services, access="readonly_access_key", secret="readonly_secret_key")
    main.put_object(Bucket=bucket, Key=key, Body=b"x")
    try:
        ro.head_bucket(Bucket=bucket)
        assert ro.get_object(Bucket=bucket, Key=key)["Body"].read() == b"x"
        with pytest.raises(botocore.exceptions.ClientError) as e:
            ro.put_object(Bucket=bucket, Key=key + "-ro", Body=b"y")
        assert _error_code(e) == "AccessDenied"
    finally:
        main.delete_object(Bucket=bucket, Key=key)


def test_s3_wrong_secret_and_unknown_key_are_rejected(services):
    bucket = services["s3"]["bucket"]
    with pytest.raises(botocore.exceptions.ClientError) as e:
        _s3(services, secret_value="wrong-secret").list_objects_v2(Bucket=bucket)
    assert _error_code(e) == "SignatureDoesNotMatch"
    with pytest.raises(botocore.exceptions.ClientError) as e:
        _s3(services, access_value="AKIAUNKNOWN000000000").list_objects_v2(Bucket=bucket)
    assert _error_code(e) == "InvalidAccessKeyId"


def test_s3_missing_bucket_and_endpoint_down(services):
    with pytest.raises(botocore.exceptions.ClientError) as e:
        _s3(services).head_bucket(Bucket=services["s3"]["missing_bucket"])
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404
    with pytest.raises(botocore.exceptions.EndpointConnectionError):
        _s3(services, "endpoint_down").head_bucket(Bucket=services["s3"]["bucket"])


# ---------------------------------------------------------------- XPipe stand-in

@pytest.fixture
def xp(services):
    x = services["xpipe"]
    return x, {x["api_key_header"]: x["api_key"]}


def test_xpipe_health_requires_api_key(xp):
    x, h = xp
    r = requests.get(x["url"] + "/health", headers=h, timeout=5)
    assert r.status_code == 200
    assert r.json() == {"status": "ok", "service": "xpipe", "version": "1.0"}
    assert requests.get(x["url"] + "/health", timeout=5).status_code == 401
    assert requests.get(x["url"] + "/health", headers={x["api_key_header"]: "bad"}, timeout=5).status_code == 401
    assert requests.get(x["url"] + "/public/health", timeout=5).json()["status"] == "ok"


def test_xpipe_fault_paths(xp):
    x, h = xp

    def get(path, timeout=5, **kw):
        return requests.get(x["url"] + path, headers=h, timeout=timeout, **kw)

    r = get("/status/500")
    assert (r.status_code, r.json()) == (500, {"status": "error"})
    flaky = f"/flaky/{uuid.uuid4().hex}?fail=2"
    assert [get(flaky).status_code for _attempt in range(3)] == [503, 503, 200]
    r = get("/notjson")
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("text/html")
    assert r.text == "<html>ok</html>"
    assert get("/degraded").json() == {"status": "degraded"}
    start = time.monotonic()
    assert get("/slow/1").status_code == 200
    assert time.monotonic() - start >= 1
    with pytest.raises(requests.exceptions.Timeout):
        get("/slow/3", timeout=0.5)


def test_xpipe_tls_listeners(xp, services):
    x, h = xp
    assert requests.get(x["url_https"] + "/health", headers=h, verify=services["ca_cert"], timeout=5).ok
    with pytest.raises(requests.exceptions.SSLError):
        requests.get(x["url_https_selfsigned"] + "/health", headers=h, verify=services["ca_cert"], timeout=5)
    with pytest.raises(requests.exceptions.SSLError):
        requests.get(x["url_https_selfsigned"] + "/health", headers=h, timeout=5)  # system trust store
    assert requests.get(x["url_https_selfsigned"] + "/health", headers=h, verify=x["selfsigned_cert"],
                        timeout=5).ok
    # The CA-signed cert expires in the advertised number of days (xpipe_health reports it).
    ctx = ssl.create_default_context(cafile=services["ca_cert"])
    port = int(x["url_https"].rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        with ctx.wrap_socket(sock, server_hostname="127.0.0.1") as tls:
            not_after = ssl.cert_time_to_seconds(tls.getpeercert()["notAfter"])
    assert abs((not_after - time.time()) / 86400 - x["cert_days"]) < 1


def test_xpipe_tls_listener_survives_a_stalled_client(xp, services):
    # A client that connects and never handshakes must not block other clients.
    x, h = xp
    port = int(x["url_https"].rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=5):
        assert requests.get(x["url_https"] + "/health", headers=h, verify=services["ca_cert"], timeout=5).ok


# ---------------------------------------------------------------- fixture plumbing

def _shape(d):
    return {k: _shape(v) if isinstance(v, dict) else type(v).__name__ for k, v in d.items()}


def test_services_json_matches_fixture(services, repo_root):
    # Shape, not values: a concurrent pytest session may have rewritten the file with its own ports.
    with open(os.path.join(repo_root, "tests", "output", "services.json")) as fh:
        assert _shape(json.load(fh)) == _shape(services)
    assert set(services) == {"ca_cert", "pg", "s3", "xpipe"}
    assert {"port", "port_plain", "port_novector", "port_hang", "port_closed"} <= set(services["pg"])


def test_run_playbook_local_with_extra_vars(run_playbook, repo_root, tmp_path):
    pb = tmp_path / "pb.yml"
    pb.write_text(
        "- hosts: localhost\n"
        "  gather_facts: false\n"
        "  tasks:\n"
        "    - ansible.builtin.command: '{{ ansible_python_interpreter }} -c \"import boto3, psycopg2, requests\"'\n"
        "      changed_when: false\n"
        "    - ansible.builtin.assert:\n"
        "        that: [marker == 'hello', nested.n == 3]\n"
        "    - ansible.builtin.debug: {msg: 'marker={{ marker }}'}\n")
    r = run_playbook(str(pb), extra_vars={"marker": "hello", "nested": {"n": 3}})
    assert r.returncode == 0, r.output
    assert "marker=hello" in r.stdout
    mine = f"extra-vars-{os.getpid()}-"  # other sessions may be running playbooks right now
    assert not [f for f in os.listdir(os.path.join(repo_root, "tests", "output")) if f.startswith(mine)]

    r = run_playbook(str(pb), extra_vars={"marker": "other", "nested": {"n": 3}})
    assert r.returncode != 0 and "Assertion failed" in r.output
