# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpt371.infra maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
#
# PRIVATE to gpt371.infra: may change without notice; do not import from other collections.
"""From probe results to "the most likely cause and its fix", as the guide's Common Integration Issues do.

The guide's checklist, in order: is the instance running; does a security group allow the port
from this source; do the .env credentials match the provisioned values; does the bucket exist;
does the name resolve; are the hosts on the same network. Each rule below looks at the evidence
the verify role gathered and, when it applies, names the cause and the fix.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

# What each integration point depends on: the server that runs it, its port, the .env keys.
POINTS = {
    'database': {'server': 'supabase', 'port': 5432,
                 'credentials': ['DB_PASSWORD', 'DB_USER'], 'address': ['DB_HOST', 'DB_PORT', 'DB_NAME']},
    'storage': {'server': None, 'port': None,
                'credentials': ['STORAGE_SECRET_KEY', 'STORAGE_ACCESS_KEY'],
                'address': ['STORAGE_ENDPOINT', 'STORAGE_BUCKET']},
    'xpipe': {'server': 'xpipe', 'port': 8080,
              'credentials': ['XPIPE_API_KEY'], 'address': ['XPIPE_HOST', 'XPIPE_PORT']},
}

UNREACHABLE = ('connection refused', 'no answer', 'cannot connect', 'no route')
CREDENTIALS = ('password authentication failed', 'secret key does not match', 'access key is not known',
               'rejected the API key', 'role ')


def _has(text, needles):
    low = (text or '').lower()
    return any(n.lower() in low for n in needles)


def _server_for(point, servers, deployment):
    """The server record of a point's host, matched by name with or without the deployment prefix."""
    wanted = POINTS.get(point, {}).get('server')
    if not wanted:
        return None
    names = [wanted, '%s-%s' % (deployment, wanted)] if deployment else [wanted]
    for server in servers or []:
        if server.get('name') in names:
            return server
    return None


def _port_findings(port, secgroup):
    """secgroup_check findings that concern a port (missing rule, wrong source, server not in group)."""
    found = []
    for finding in (secgroup or {}).get('findings', []):
        rule = finding.get('rule') or {}
        low, high = rule.get('port_range_min'), rule.get('port_range_max')
        text = '%s %s' % (finding.get('detail', ''), finding.get('kind', ''))
        covers = low is not None and high is not None and int(low) <= port <= int(high)
        if covers or str(port) in text:
            found.append(finding)
    return found


def diagnose(row, servers=None, secgroup=None, env_mismatches=None, deployment=None, host_networks=None):
    """Return (likely_cause, fix, evidence) for a failed probe row.

    row: {point, host, failed_check, cause, fix}; servers: [{name, status, networks}];
    secgroup: a secgroup_check result; env_mismatches: {host: [.env keys that differ from the outputs]};
    host_networks: {host: [network names]} of the app hosts.
    """
    point, host = row['point'], row['host']
    cause, fix = row.get('cause') or '', row.get('fix') or ''
    spec = POINTS.get(point, {})
    evidence = []
    server = _server_for(point, servers, deployment)

    if server is not None:
        evidence.append('server %s is %s' % (server['name'], server.get('status')))
        if server.get('status') != 'ACTIVE' and _has(cause, UNREACHABLE):
            return ('the %s server %s is %s' % (point, server['name'], server.get('status')),
                    'start it (openstack server start %s) or re-run playbooks/provision.yml' % server['name'],
                    evidence)

    if spec.get('port') and _has(cause, UNREACHABLE):
        findings = _port_findings(spec['port'], secgroup)
        if findings:
            first = findings[0]
            evidence.extend('%s: %s' % (f.get('kind'), f.get('detail')) for f in findings)
            return ('a security group blocks port %d: %s' % (spec['port'], first.get('detail')),
                    fix_text(first.get('fix')) or
                    're-run playbooks/provision.yml (network role) to restore the declared rules', evidence)
        if secgroup is not None:
            evidence.append('security groups allow port %d as declared' % spec['port'])

    mismatched = [k for k in (env_mismatches or {}).get(host, []) if k in spec.get('credentials', [])]
    if _has(cause, CREDENTIALS):
        if mismatched:
            evidence.append('.env on %s differs from the provisioned values in %s' % (host, ', '.join(mismatched)))
            return ('the .env on %s holds a %s that differs from the provisioned value' % (host, mismatched[0]),
                    're-run playbooks/configure.yml (app_env role) to rewrite .env from the outputs and vault',
                    evidence)
        if env_mismatches is not None:
            evidence.append('.env credentials on %s match the provisioned values' % host)
            return ('the %s service no longer accepts the provisioned credentials (%s)' % (point, cause),
                    'the secret was changed on the service side: reset it to the vault value (re-run the %s role)'
                    % {'database': 'database', 'storage': 'storage', 'xpipe': 'stack'}.get(point, point), evidence)

    moved = [k for k in (env_mismatches or {}).get(host, []) if k in spec.get('address', [])]
    if moved and _has(cause, UNREACHABLE + ('does not resolve', 'does not exist')):
        evidence.append('.env on %s differs from the outputs in %s' % (host, ', '.join(moved)))
        return ('the .env on %s points %s elsewhere than the outputs (%s)' % (host, point, ', '.join(moved)),
                're-run playbooks/configure.yml (app_env role) to rewrite .env from the outputs', evidence)

    if _has(cause, ('does not resolve',)):
        return (cause, 'use the private IP from the outputs file in .env, or fix DNS between the hosts', evidence)

    if _has(cause, ('no route',)) and host_networks and server is not None:
        shared = set(host_networks.get(host, [])) & set(server.get('networks') or [])
        if not shared:
            return ('%s and %s are not on the same network' % (host, server['name']),
                    'attach both to the private network (re-run playbooks/provision.yml)', evidence)

    if server is not None and _has(cause, ('connection refused',)):
        return ('nothing listens on %s port %s although the server is ACTIVE' % (server['name'], spec['port']),
                'start the service on %s (%s)' % (server['name'], {
                    'database': 'pg_ctlcluster / systemctl start postgresql; check listen_addresses',
                    'xpipe': 'docker compose up -d xpipe in the stack directory'}.get(point, 'see its logs')),
                evidence)

    return cause, fix, evidence


def fix_text(fix):
    """secgroup_check's fix is a task dict: show it as one line."""
    if not fix:
        return ''
    if isinstance(fix, dict):
        module = next(iter(fix))
        args = fix[module]
        if isinstance(args, dict):
            return '%s: %s' % (module, ', '.join('%s=%s' % kv for kv in sorted(args.items())))
    return str(fix)
