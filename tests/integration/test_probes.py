"""The three probes against real services: every fault case of the matrix, and no secret in -vvv output.

Each target playbook (targets/<module>/playbook.yml) holds its cases as A1-style task pairs:
the probe, then an assert on `failed`, the failing check, the reason and the cause/fix. One -vvv
run per module serves both tests below, so the fault cases are also the leak test.

Besides the services fixture, the targets get `faults` (the `probe_faults` fixture below): a TCP
server that accepts and never answers, a plain-TCP server that answers HTTP to anything, and one
TLS server per certificate fault, with real certificates made here with `cryptography` (expired,
not yet valid, wrong host name, unknown CA, self-signed). The TLS servers speak PostgreSQL's
SSLRequest preamble too, so pg_probe meets the same certificates: they are TLS stand-ins, not
PostgreSQL, S3 or XPipe servers, and a handshake is all a certificate failure needs.
"""
import datetime
import ipaddress
import re
import socket
import ssl
import struct
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from services.local import guide_env
from services.tcp import HangListener, Listener

TARGETS = Path(__file__).parent / 'targets'
OUTPUT = Path(__file__).parents[1] / 'output'
MODULES = ['pg_probe', 's3_probe', 'xpipe_health']
SSL_REQUEST = struct.pack('!ii', 8, 80877103)
_runs = {}


# -- certificates --------------------------------------------------------------------------------

def _name(cn):
    return x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, 'gpt371 probe tests'),
                      x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def _cert(subject, key, issuer, issuer_key, not_before, not_after, names=('127.0.0.1', 'localhost'), ca=False):
    alt = [x509.IPAddress(ipaddress.ip_address(n)) if n[0].isdigit() else x509.DNSName(n) for n in names]
    return (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(not_before).not_valid_after(not_after)
            .add_extension(x509.SubjectAlternativeName(alt), critical=False)
            .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
            .sign(issuer_key, hashes.SHA256()))


def _write(directory, stem, cert, key=None):
    crt = directory / (stem + '.crt')
    crt.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    if key is None:
        return str(crt)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    (directory / (stem + '.key')).write_bytes(pem)
    return str(crt), str(directory / (stem + '.key'))


def make_fault_certificates(directory, now):
    """A CA the probes are given (ca_cert) and one server certificate per fault; {fault: (crt, key)}, facts."""
    ca_key, other_key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca_name, other_name = _name('gpt371 probe-test CA'), _name('gpt371 unknown CA')
    ca = _cert(ca_name, ca_key, ca_name, ca_key, now - datetime.timedelta(days=60), now + datetime.timedelta(days=365),
               names=('ca.invalid',), ca=True)
    day = datetime.timedelta(days=1)
    expired_at = now - 3 * day - datetime.timedelta(hours=1)   # 3 whole days ago: -4 if rounded down
    valid_from = now + 2 * day + datetime.timedelta(hours=1)   # in 2 whole days
    certs = {
        'expired': (_name('expired'), ca_name, ca_key, now - 60 * day, expired_at, ('127.0.0.1', 'localhost')),
        'not_yet_valid': (_name('future'), ca_name, ca_key, valid_from, now + 90 * day, ('127.0.0.1', 'localhost')),
        'hostname': (_name('other.example'), ca_name, ca_key, now - day, now + 90 * day, ('other.example',)),
        'unknown_ca': (_name('localhost'), other_name, other_key, now - day, now + 90 * day, ('127.0.0.1',)),
        'selfsigned': (_name('gpt371 self-signed leaf'), None, None, now - day, now + 90 * day, ('127.0.0.1',)),
    }
    out = {}
    for fault, (subject, issuer, issuer_key, before, after, names) in certs.items():
        key = ec.generate_private_key(ec.SECP256R1())
        cert = _cert(subject, key, issuer or subject, issuer_key or key, before, after, names)
        out[fault] = _write(directory, fault, cert, key)
    facts = {'ca_cert': _write(directory, 'ca', ca),
             'expired_on': expired_at.strftime('%Y-%m-%d %H:%M UTC'), 'expired_days': 3,
             'valid_from': valid_from.strftime('%Y-%m-%d %H:%M UTC'), 'valid_in_days': 2,
             'unknown_issuer': other_name.rfc4514_string()}
    return out, facts


# -- servers -------------------------------------------------------------------------------------

def _http_reply(stream):
    data = b''
    while b'\r\n\r\n' not in data and len(data) < 65536:
        chunk = stream.recv(4096)
        if not chunk:
            return
        data += chunk
    body = b'{"status": "ok"}'
    stream.sendall(b'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n'
                   b'Connection: close\r\n\r\n%s' % (len(body), body))


class TlsStandin(Listener):
    """TLS with one certificate; a PostgreSQL client's SSLRequest is answered 'S' first. HTTP 200 after."""

    def __init__(self, cert, key):
        super().__init__()
        self.ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.ctx.load_cert_chain(cert, key)

    def serve(self, conn):
        head = b''
        while len(head) < 8:
            peeked = conn.recv(8, socket.MSG_PEEK)
            if not peeked or peeked == head:
                break
            head = peeked
        if head == SSL_REQUEST:
            conn.recv(8)
            conn.sendall(b'S')
        with self.ctx.wrap_socket(conn, server_side=True) as tls:
            _http_reply(tls)


class PlainHttp(Listener):
    """No TLS at all: answers 400 in plain HTTP to whatever arrives (a ClientHello, an SSLRequest)."""

    def serve(self, conn):
        conn.recv(4096)
        conn.sendall(b'HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n')


@pytest.fixture(scope='session')
def probe_faults(tmp_path_factory):
    """Ports and facts of the fault servers (see the module docstring)."""
    directory = tmp_path_factory.mktemp('probe-faults')
    certs, facts = make_fault_certificates(directory, datetime.datetime.now(datetime.timezone.utc))
    servers = {fault: TlsStandin(*pair) for fault, pair in certs.items()}
    servers['not_tls'] = PlainHttp()
    silent = HangListener()  # accepts, never answers
    try:
        ports = {fault: server.start() for fault, server in servers.items()}
        ports['silent'] = silent.start()
        yield dict(facts, port=ports)
    finally:
        for server in servers.values():
            server.stop()
        silent.stop()


# -- tests ---------------------------------------------------------------------------------------

def wrong_values():
    """Wrong secrets the targets pass on purpose: they must be masked as well."""
    found = set()
    for module in MODULES:
        text = (TARGETS / module / 'playbook.yml').read_text()
        found.update(re.findall(r'(?:password|secret_key|api_key): (wrong-[\w-]+|not-the-[\w-]+)', text))
    return sorted(found)


@pytest.fixture
def target_run(services, probe_faults, run_playbook):
    def run(module):
        if module not in _runs:
            res = run_playbook(TARGETS / module / 'playbook.yml', extra_vars={'svc': services, 'faults': probe_faults},
                               verbosity=3)
            # Kept for reading after a failure (tests/output is not committed).
            (OUTPUT / ('%s-vvv.log' % module)).write_text(res.stdout + res.stderr)
            _runs[module] = res
        return _runs[module]
    return run


@pytest.mark.parametrize('module', MODULES)
def test_fault_matrix(module, target_run):
    res = target_run(module)
    assert res.returncode == 0, (res.stdout + res.stderr)[-6000:]
    recap = re.search(r'localhost\s+: ok=(\d+)\s+changed=(\d+).*failed=(\d+).*ignored=(\d+)', res.stdout)
    assert recap, res.stdout[-2000:]
    ok, changed, failed, ignored = map(int, recap.groups())
    assert failed == 0 and changed == 0
    # Every "Case ..." task is an expected failure (ignored), or a pass marked "(passes)" in its name.
    text = (TARGETS / module / 'playbook.yml').read_text()
    cases = len(re.findall(r'^    - name: Case ', text, re.M))
    passing = len(re.findall(r'^    - name: Case .*\(passes\)', text, re.M))
    assert ignored == cases - passing, 'every case not marked (passes) fails on purpose: %d ignored of %d cases, %d' \
        ' marked (passes)' % (ignored, cases, passing)


@pytest.mark.parametrize('module', MODULES)
def test_no_secret_in_vvv_output(module, services, target_run):
    res = target_run(module)
    output = res.stdout + res.stderr
    assert 'check failed' in output, 'the -vvv run shows no failure message: the test would prove nothing'
    secrets = [services['pg']['password'], services['s3']['secret_key'], services['s3']['readonly_secret_key'],
               services['xpipe']['api_key']] + wrong_values()
    assert len(wrong_values()) >= 3
    leaked = [s for s in secrets if s and s in output]
    assert not leaked, 'secrets in -vvv output of %s: %d of %d leaked' % (module, len(leaked), len(secrets))


def guide_environment(services, module):
    """The .env variables of the guide for one probe."""
    env = guide_env(services)
    env['STORAGE_ENDPOINT'] = services['s3']['endpoint']
    prefix = {'pg_probe': 'DB_', 's3_probe': 'STORAGE_', 'xpipe_health': 'XPIPE_'}[module]
    return {k: v for k, v in env.items() if k.startswith(prefix)}


@pytest.mark.parametrize('module', MODULES)
def test_connection_from_guide_environment(module, services, run_playbook):
    env = guide_environment(services, module)
    res = run_playbook(TARGETS / module / 'from_env.yml', extra_vars={'ca_cert': services['ca_cert']},
                       env=env, verbosity=3)
    output = res.stdout + res.stderr
    assert res.returncode == 0, output[-4000:]
    secret = [v for k, v in env.items() if k.endswith(('PASSWORD', 'SECRET_KEY', 'API_KEY'))][0]
    assert secret not in output
