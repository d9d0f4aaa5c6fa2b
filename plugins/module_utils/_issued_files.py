# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpt371.infra maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
#
# PRIVATE to gpt371.infra: may change without notice; do not import from other collections.
"""Are a host's TLS files on the controller as the stack role's tls.yml would leave them? One read of the files,
so that a run with nothing to change calls none of the file, copy and community.crypto modules (one module run
each per host). Each reason names what those modules would change; any reason and the role runs them all (their
own checks decide then). Reads only."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import stat

try:
    from cryptography import x509
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    HAS_CRYPTOGRAPHY = True
except ImportError:  # pragma: no cover - the lookup then names the library as the reason
    HAS_CRYPTOGRAPHY = False


def attribute_reasons(path, mode, uid=None, gid=None):
    """Why a file's mode, and its owner and group when given (uid, gid), are not the wanted ones; [] when they are."""
    found = os.stat(path)
    reasons = []
    if stat.S_IMODE(found.st_mode) != mode:
        reasons.append('%s has mode %04o, wanted %04o' % (path, stat.S_IMODE(found.st_mode), mode))
    if uid is not None and found.st_uid != uid:
        reasons.append('%s is owned by uid %d, wanted %d' % (path, found.st_uid, uid))
    if gid is not None and found.st_gid != gid:
        reasons.append('%s has group gid %d, wanted %d' % (path, found.st_gid, gid))
    return reasons


def _read(path):
    with open(path, 'rb') as handle:
        return handle.read()


def _names(cert):
    """The certificate's subject alternative names as community.crypto writes them (DNS:x, IP:y)."""
    try:
        sans = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return set()
    return set(['DNS:' + name for name in sans.get_values_for_type(x509.DNSName)]
               + ['IP:' + str(ip) for ip in sans.get_values_for_type(x509.IPAddress)])


def _common_name(cert):
    names = cert.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)
    return names[0].value if names else None


def pair_reasons(key_path, cert_path, curve, common_name, sans, ca=None, ca_name='the CA'):
    """Why the key and certificate at these paths are not what community.crypto would leave there: an ECC key on
    ``curve``; a certificate for that key, with ``common_name`` and exactly ``sans``, issued by ``ca`` (a loaded
    certificate, named ``ca_name`` in the reason) or, with ``ca`` None, self-signed. [] when they are; the files
    must exist. Timestamps are not compared: community.crypto keeps a certificate in place whatever its dates."""
    key = serialization.load_pem_private_key(_read(key_path), password=None)
    if not isinstance(key, ec.EllipticCurvePrivateKey) or key.curve.name != curve:
        return ['%s is not an ECC %s key' % (key_path, curve)]
    cert = x509.load_pem_x509_certificate(_read(cert_path))
    found = []
    public = serialization.PublicFormat.SubjectPublicKeyInfo
    if cert.public_key().public_bytes(serialization.Encoding.DER, public) != \
            key.public_key().public_bytes(serialization.Encoding.DER, public):
        found.append('%s is not for the key %s' % (cert_path, key_path))
    try:
        cert.verify_directly_issued_by(ca if ca is not None else cert)
    except (ValueError, TypeError, InvalidSignature):
        found.append('%s is not issued by %s' % (cert_path, ca_name) if ca is not None
                     else '%s is not self-signed' % cert_path)
    if _common_name(cert) != common_name:
        found.append('%s names %s, wanted %s' % (cert_path, _common_name(cert), common_name))
    if _names(cert) != set(sans):
        found.append('%s holds the names %s, wanted %s' % (cert_path, sorted(_names(cert)), sorted(set(sans))))
    return found


def _issued_reasons(directory, ca_cert_file, common_name, sans):
    key_path, cert_path = os.path.join(directory, 'tls-key.pem'), os.path.join(directory, 'tls-cert.pem')
    for path in (key_path, cert_path):
        if not os.path.isfile(path):
            return ['%s is missing' % path]
    reasons = attribute_reasons(key_path, 0o600) + attribute_reasons(cert_path, 0o644)
    ca = x509.load_pem_x509_certificate(_read(ca_cert_file))
    return reasons + pair_reasons(key_path, cert_path, 'secp256r1', common_name, sans, ca,
                                  'the CA %s' % ca_cert_file)


def reasons(directory, ca_cert_file, ca_key_file='', common_name='', sans=()):
    """Why tls.yml would change something in ``directory``: [] when it would not."""
    if not HAS_CRYPTOGRAPHY:
        return ['the Python library cryptography is missing on the controller']
    if not os.path.isdir(directory):
        return ['%s is missing' % directory]
    found = attribute_reasons(directory, 0o700)
    ca_copy = os.path.join(directory, 'ca.pem')
    if not os.path.isfile(ca_copy):
        return found + ['%s is missing' % ca_copy]
    found += attribute_reasons(ca_copy, 0o644)
    if _read(ca_copy) != _read(ca_cert_file):
        found.append('%s differs from %s' % (ca_copy, ca_cert_file))
    if ca_key_file:
        try:
            found += _issued_reasons(directory, ca_cert_file, common_name, sans)
        except ValueError as exc:  # a file that does not parse: the modules replace it
            found.append('unreadable TLS file in %s (%s)' % (directory, exc))
    return found
