# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpt371.infra maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
#
# PRIVATE to gpt371.infra: may change without notice; do not import from other collections.
"""PostgreSQL side of pg_probe: what libpq's errors mean and what to do about them."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.gpt371.infra.plugins.module_utils._probe import ProbeFailure


def version_tuple(text):
    """'0.8.0' -> (0, 8, 0); non-numeric parts count as 0 so '1.0beta' compares sanely."""
    parts = []
    for piece in str(text).split('.'):
        m = re.match(r'\d+', piece)
        parts.append(int(m.group(0)) if m else 0)
    return tuple(parts)


def connect_failure(message, params, timeout):
    """Turn a libpq connection error into cause + fix (the guide's "Database Connection Issues")."""
    where = '%s:%s' % (params['host'], params['port'])
    text = ' '.join(str(message).split())
    low = text.lower()
    if 'password authentication failed' in low:
        return ProbeFailure(
            'password authentication failed for user %s' % params['user'],
            'check DB_PASSWORD matches the provisioned value (outputs file / vault) and that user %s exists'
            % params['user'], detail=text)
    if 'does not exist' in low and 'database' in low:
        return ProbeFailure(
            'database %s does not exist on %s' % (params['dbname'], where),
            'check DB_NAME, or create the database (the database role does)', detail=text)
    if 'role' in low and 'does not exist' in low:
        return ProbeFailure(
            'role %s does not exist on %s' % (params['user'], where),
            'check DB_USER matches the provisioned database user', detail=text)
    if 'no pg_hba.conf entry' in low:
        return ProbeFailure(
            'the server refuses this client by pg_hba.conf (%s)' % text,
            "allow this host's address in pg_hba.conf (database role: database_allowed_cidrs)"
            ' and check it connects over the private network', detail=text)
    if 'server does not support ssl' in low:
        return ProbeFailure(
            'the server at %s does not offer TLS but ssl_mode=%s requires it' % (where, params['ssl_mode']),
            'enable ssl on the PostgreSQL server (database role does), or lower ssl_mode only on a trusted network',
            detail=text)
    if 'certificate verify failed' in low or 'root certificate file' in low or 'server certificate' in low:
        return ProbeFailure(
            'the server certificate of %s could not be verified (%s)' % (where, text),
            'pass ca_cert with the CA that signed the server certificate, and use the name in the certificate as host',
            detail=text)
    if 'connection refused' in low:
        return ProbeFailure(
            'connection refused at %s' % where,
            'check PostgreSQL runs on the database host and listens on its private address,'
            ' and that a security group allows 5432 from this host', retryable=True, detail=text)
    if 'timeout expired' in low or 'timed out' in low:
        return ProbeFailure(
            'no answer from %s within %.0f s' % (where, timeout),
            'a security group or firewall drops traffic to %s, or the host is down: check the instance is ACTIVE'
            ' and a rule allows this port from this host' % params['port'], retryable=True, detail=text)
    if 'could not translate host name' in low or 'name or service not known' in low:
        return ProbeFailure(
            'the name %s does not resolve' % params['host'],
            'check DB_HOST (use the private IP from the outputs file) and DNS resolution between the hosts',
            retryable=True, detail=text)
    if 'no route to host' in low or 'network is unreachable' in low:
        return ProbeFailure(
            'no route to %s' % where,
            'check both hosts are on the same private network and the router is attached',
            retryable=True, detail=text)
    if 'the database system is starting up' in low or 'shutting down' in low:
        return ProbeFailure('the server at %s is starting up or shutting down' % where,
                            'wait for PostgreSQL to finish starting', retryable=True, detail=text)
    return ProbeFailure('connection to %s failed: %s' % (where, text),
                        'see the server log on the database host', retryable=True, detail=text)
