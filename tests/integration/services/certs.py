"""Test PKI: a CA, a server certificate it signs (SAN 127.0.0.1 + localhost), and an unrelated self-signed cert.

Generated fresh per session with `cryptography`; nothing is trusted system-wide.
"""
import datetime
import ipaddress
import os

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID


def _key():
    return ec.generate_private_key(ec.SECP256R1())


def _name(cn):
    return x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "gpt371 tests"),
                      x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def _write(path, data, mode=0o644):
    with open(path, "wb") as fh:
        fh.write(data)
    os.chmod(path, mode)
    return path


def _write_pair(directory, stem, cert, key):
    crt = _write(os.path.join(directory, stem + ".crt"), cert.public_bytes(serialization.Encoding.PEM))
    # 0644 on purpose: the PostgreSQL container runs as `postgres` and must read the mounted key
    # (its entrypoint copies it and tightens to 0600). The key is a throwaway test key.
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
                            serialization.NoEncryption())
    k = _write(os.path.join(directory, stem + ".key"), pem)
    return crt, k


def _san():
    return x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                                        x509.DNSName("localhost")])


def _leaf_builder(subject, issuer, public_key, now, days, ca=False):
    return (x509.CertificateBuilder()
            .subject_name(subject).issuer_name(issuer).public_key(public_key)
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=days))
            .add_extension(_san(), critical=False)
            .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False))


def make_pki(directory, server_days=90):
    """Write the test PKI into `directory`; return a dict of file paths.

    Keys: ca_cert, ca_key, server_cert, server_key, selfsigned_cert, selfsigned_key.
    `server_days` is the server certificate's remaining validity (xpipe_health reports days to expiry).
    """
    os.makedirs(directory, exist_ok=True)
    now = datetime.datetime.now(datetime.timezone.utc)

    ca_key = _key()
    ca_name = _name("gpt371 test CA")
    ca = (x509.CertificateBuilder()
          .subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
          .serial_number(x509.random_serial_number())
          .not_valid_before(now - datetime.timedelta(minutes=5))
          .not_valid_after(now + datetime.timedelta(days=365))
          .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
          .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                       content_commitment=False, key_encipherment=False,
                                       data_encipherment=False, key_agreement=False,
                                       encipher_only=False, decipher_only=False), critical=True)
          .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
          .sign(ca_key, hashes.SHA256()))

    srv_key = _key()
    srv = (_leaf_builder(_name("localhost"), ca_name, srv_key.public_key(), now, server_days)
           .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
           .sign(ca_key, hashes.SHA256()))

    # Self-signed, valid for 127.0.0.1 too: fails only because no one trusts it. CA:TRUE like
    # `openssl req -x509` output, so a client can pin it as its own trust anchor (ca_path).
    ss_key = _key()
    ss_name = _name("gpt371 self-signed")
    ss = (_leaf_builder(ss_name, ss_name, ss_key.public_key(), now, 30, ca=True)
          .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ss_key.public_key()), critical=False)
          .sign(ss_key, hashes.SHA256()))

    paths = {}
    paths["ca_cert"], paths["ca_key"] = _write_pair(directory, "ca", ca, ca_key)
    paths["server_cert"], paths["server_key"] = _write_pair(directory, "server", srv, srv_key)
    paths["selfsigned_cert"], paths["selfsigned_key"] = _write_pair(directory, "selfsigned", ss, ss_key)
    return paths
