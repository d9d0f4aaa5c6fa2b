"""The lab's certificate authority: one CA per lab state directory, server certificates issued from it.

  python -m gpt371_lab.ca init [--dir DIR]
      DIR/ca-key.pem (0600) and DIR/ca.pem (the certificate users trust), made once.
  python -m gpt371_lab.ca issue NAME SAN... [--dir DIR] [--days N]
      DIR/certs/NAME.pem (leaf + CA chain) and DIR/certs/NAME-key.pem (0600) for a TLS server; each SAN is an IP
      address or a DNS name. Prints the two paths as JSON. For the reference XPipe, the database, ...

DIR defaults to lab/.state. The CA signs server certificates only (pathlen 0, serverAuth).
"""
import argparse
import datetime
import ipaddress
import json
import os
import sys

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

DEFAULT_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), '.state')
CA_NAME = 'gpt371 lab CA'


def _write(path, data, mode):
    tmp = path + '.tmp'
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, 'wb') as f:
        f.write(data)
    os.chmod(tmp, mode)
    os.replace(tmp, path)


def _key_pem(key):
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def paths(directory):
    return os.path.join(directory, 'ca-key.pem'), os.path.join(directory, 'ca.pem')


def init(directory=DEFAULT_DIR):
    """Make the CA unless it exists; return the certificate's path."""
    key_path, cert_path = paths(directory)
    if os.path.exists(key_path) and os.path.exists(cert_path):
        return cert_path
    os.makedirs(directory, exist_ok=True)
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, CA_NAME)])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + datetime.timedelta(days=3650))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                         content_commitment=False, key_encipherment=False, data_encipherment=False,
                                         key_agreement=False, encipher_only=False, decipher_only=False),
                           critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .sign(key, hashes.SHA256()))
    _write(key_path, _key_pem(key), 0o600)
    _write(cert_path, cert.public_bytes(serialization.Encoding.PEM), 0o644)
    return cert_path


def _san(value):
    try:
        return x509.IPAddress(ipaddress.ip_address(value))
    except ValueError:
        if not value or any(c.isspace() for c in value):
            raise ValueError('SAN %r is neither an IP address nor a DNS name' % value)
        return x509.DNSName(value)


def issue_pem(directory, common_name, sans, days=825):
    """A server certificate (PEM leaf + CA) and its key (PEM) for the SANs, signed by the lab CA."""
    if not sans:
        raise ValueError('issue needs at least one SAN (an IP address or DNS name the clients connect to)')
    key_path, cert_path = paths(directory)
    with open(key_path, 'rb') as f:
        ca_key = serialization.load_pem_private_key(f.read(), None)
    with open(cert_path, 'rb') as f:
        ca_pem = f.read()
    ca_cert = x509.load_pem_x509_certificate(ca_pem)
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)]))
            .issuer_name(ca_cert.subject).public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + datetime.timedelta(days=days))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.SubjectAlternativeName([_san(s) for s in sans]), critical=False)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
            .sign(ca_key, hashes.SHA256()))
    return cert.public_bytes(serialization.Encoding.PEM) + ca_pem, _key_pem(key)


def issue(directory, name, sans, days=825):
    if not name or '/' in name or name.startswith('.'):
        raise ValueError('NAME %r must be a plain file name (e.g. xpipe)' % name)
    cert_pem, key_pem = issue_pem(directory, name, sans, days)
    certs = os.path.join(directory, 'certs')
    os.makedirs(certs, exist_ok=True)
    cert_file, key_file = os.path.join(certs, name + '.pem'), os.path.join(certs, name + '-key.pem')
    _write(key_file, key_pem, 0o600)
    _write(cert_file, cert_pem, 0o644)
    return {'cert': cert_file, 'key': key_file, 'ca': paths(directory)[1]}


def main(argv=None):
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument('--dir', default=DEFAULT_DIR, help='lab state directory (default: %(default)s)')
    parser = argparse.ArgumentParser(prog='python -m gpt371_lab.ca', description=__doc__.split('\n')[0])
    sub = parser.add_subparsers(dest='cmd', required=True)
    sub.add_parser('init', help='make the CA (once)', parents=[common])
    p = sub.add_parser('issue', help='issue a server certificate', parents=[common])
    p.add_argument('name')
    p.add_argument('sans', nargs='+', metavar='SAN')
    p.add_argument('--days', type=int, default=825)
    args = parser.parse_args(argv)
    if args.cmd == 'init':
        print(init(args.dir))
        return 0
    if not os.path.exists(paths(args.dir)[0]):
        parser.error('no CA in %s: run `python -m gpt371_lab.ca init` (lab.sh up does) first' % args.dir)
    try:
        print(json.dumps(issue(args.dir, args.name, args.sans, args.days)))
    except ValueError as exc:
        parser.error(str(exc))
    return 0


if __name__ == '__main__':
    sys.exit(main())
