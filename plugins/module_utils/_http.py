# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpt371.infra maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
#
# PRIVATE to gpt371.infra: may change without notice; do not import from other collections.
"""HTTP side of xpipe_health: JSON subset matching and certificate expiry."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import socket
import ssl


def json_mismatches(expected, actual, path=''):
    """Where ``actual`` does not contain ``expected``: a list of 'path: expected X, got Y'.

    Dicts match as subsets (extra keys in ``actual`` are fine); everything else must be equal.
    """
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return ['%s: expected an object, got %r' % (path or '$', actual)]
        out = []
        for key in sorted(expected):
            sub = '%s.%s' % (path, key) if path else key
            if key not in actual:
                out.append('%s: missing (expected %r)' % (sub, expected[key]))
            else:
                out.extend(json_mismatches(expected[key], actual[key], sub))
        return out
    if expected != actual:
        return ['%s: expected %r, got %r' % (path or '$', expected, actual)]
    return []


def peer_certificate(response):
    """(decoded cert or {}, DER bytes) of the TLS connection a streamed requests response came on.

    Reading it from the connection the request used (instead of a second handshake) checks the
    certificate that was really served, at no extra cost. (None, None) when not available.
    """
    conn = getattr(getattr(response, 'raw', None), 'connection', None)
    sock = getattr(conn, 'sock', None)
    if sock is None or not hasattr(sock, 'getpeercert'):
        return None, None
    return sock.getpeercert() or {}, sock.getpeercert(binary_form=True)


def handshake_certificate(host, port, timeout, cafile=None, verify=True):
    """(decoded cert, DER) from a TLS handshake of our own: the fallback of peer_certificate()."""
    ctx = ssl.create_default_context(cafile=cafile)
    if not verify:
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    with socket.create_connection((host, port), timeout=timeout) as raw:
        with ctx.wrap_socket(raw, server_hostname=host) as tls:
            return tls.getpeercert() or {}, tls.getpeercert(binary_form=True)


def days_until_expiry(cert, der, now=None):
    """Days until a certificate expires (negative once expired); None when it cannot be read.

    A verified connection gives the decoded certificate; an unverified one only DER, which needs
    the cryptography library.
    """
    not_after = cert.get('notAfter') if cert else None
    if not_after:
        expires = datetime.datetime.fromtimestamp(ssl.cert_time_to_seconds(not_after), tz=datetime.timezone.utc)
    else:
        expires = _not_after_from_der(der) if der else None
        if expires is None:
            return None
    now = now or datetime.datetime.now(datetime.timezone.utc)
    return int((expires - now).total_seconds() // 86400)


def _not_after_from_der(der):
    try:
        from cryptography import x509
    except ImportError:
        return None
    cert = x509.load_der_x509_certificate(der)
    expires = getattr(cert, 'not_valid_after_utc', None)
    if expires is None:
        expires = cert.not_valid_after.replace(tzinfo=datetime.timezone.utc)
    return expires
