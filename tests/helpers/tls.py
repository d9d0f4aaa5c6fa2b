"""Real TLS for probe tests: certificates made with `cryptography`, and TLS stand-in servers on 127.0.0.1.

- :func:`make_ca`: a CA certificate and its key (PEM files), for roles that sign with it (provider ownca).
- :func:`make_fault_certificates`: a CA the probes are given (ca_cert) and one server certificate per fault
  (expired, not yet valid, wrong host name, unknown CA, self-signed), with the facts messages must show.
- :class:`TlsStandin`: TLS with one certificate; answers PostgreSQL's SSLRequest first, then HTTP 200 JSON.
- :class:`LegacyTlsStandin`: the same, speaking only TLS 1.0 and 1.1 (a server "too old" for the probes).
- :class:`PlainHttp`: no TLS at all, plain HTTP 400 to whatever arrives.

They are TLS stand-ins, not PostgreSQL, S3 or XPipe servers: a handshake is all a certificate failure needs.
"""
import datetime
import ipaddress
import socket
import ssl
import struct
import warnings

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.integration.services.tcp import Listener

SSL_REQUEST = struct.pack('!ii', 8, 80877103)


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


def make_ca(directory, now, cn='gpt371 test CA'):
    """(ca.crt, ca.key) paths: a CA valid from a day ago for a year, for a role to sign server certificates with."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = _name(cn)
    ca = _cert(name, key, name, key, now - datetime.timedelta(days=1), now + datetime.timedelta(days=365),
               names=('ca.invalid',), ca=True)
    return _write(directory, 'ca', ca, key)


def make_fault_certificates(directory, now):
    """A CA the probes are given (ca_cert) and one server certificate per fault; {fault: (crt, key)}, facts.

    facts['good'] is a (crt, key) pair the CA signed for 127.0.0.1 and localhost, valid now.
    """
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
    good_key = ec.generate_private_key(ec.SECP256R1())
    good = _cert(_name('localhost'), good_key, ca_name, ca_key, now - day, now + 90 * day)
    facts = {'ca_cert': _write(directory, 'ca', ca), 'good': _write(directory, 'good', good, good_key),
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


class LegacyTlsStandin(TlsStandin):
    """TlsStandin that offers only TLS 1.0 and 1.1, which clients refuse since TLS 1.2 became their minimum."""

    def __init__(self, cert, key):
        super().__init__(cert, key)
        with warnings.catch_warnings():  # the point of this server: deprecated versions
            warnings.simplefilter('ignore', DeprecationWarning)
            self.ctx.minimum_version = ssl.TLSVersion.TLSv1
            self.ctx.maximum_version = ssl.TLSVersion.TLSv1_1
        self.ctx.set_ciphers('DEFAULT:@SECLEVEL=0')
