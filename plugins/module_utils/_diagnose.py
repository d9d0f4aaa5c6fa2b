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

# Probe reasons (module_utils/_probe.py REASONS) the rules look at. The rules read the reason, never the
# words of a cause: rewording a probe message cannot change a diagnosis.
NO_CONNECTION = frozenset(('refused', 'unreachable', 'timeout'))
WRONG_ADDRESS = NO_CONNECTION | frozenset(('dns', 'not_found'))
NO_ROUTE = frozenset(('unreachable', 'timeout'))
CREDENTIALS = frozenset(('auth',))
RULES = ('server_down', 'security_group', 'env_credentials', 'service_credentials', 'env_address', 'dns',
         'network', 'not_listening', 'probe')
SERVICE_START = {'database': 'pg_ctlcluster / systemctl start postgresql; check listen_addresses',
                 'xpipe': 'docker compose up -d xpipe in the stack directory'}
SECRET_ROLE = {'database': 'database', 'storage': 'storage', 'xpipe': 'stack'}


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


def _verdict(rule, likely_cause, fix, evidence):
    return {'rule': rule, 'likely_cause': likely_cause, 'fix': fix, 'evidence': evidence}


def diagnose(row, servers=None, secgroup=None, env_mismatches=None, deployment=None, host_networks=None):
    """The most likely cause of a failed probe row and its fix.

    row: {point, host, failed_check, reason, cause, fix}; servers: [{name, status, networks}];
    secgroup: a secgroup_check result; env_mismatches: {host: [.env keys that differ from the outputs]};
    host_networks: {host: [network names]} of the app hosts.
    Returns {rule, likely_cause, fix, evidence}; ``rule`` (one of RULES) names the rule that decided,
    'probe' when none did and the probe's own cause and fix stand.
    """
    point, host = row['point'], row['host']
    reason = row.get('reason')
    cause, fix = row.get('cause') or '', row.get('fix') or ''
    spec = POINTS.get(point, {})
    evidence = []
    server = _server_for(point, servers, deployment)

    if server is not None:
        evidence.append('server %s is %s' % (server['name'], server.get('status')))
        if server.get('status') != 'ACTIVE' and reason in NO_CONNECTION:
            cause = 'the %s server %s is %s' % (point, server['name'], server.get('status'))
            if server.get('fault'):
                cause += ': %s' % server['fault']
            return _verdict('server_down', cause, server_state_fix(server['name'], server.get('status')), evidence)

    if spec.get('port') and reason in NO_CONNECTION:
        findings = _port_findings(spec['port'], secgroup)
        if findings:
            first = findings[0]
            evidence.extend('%s: %s' % (f.get('kind'), f.get('detail')) for f in findings)
            return _verdict('security_group', 'a security group blocks port %d: %s' % (spec['port'], first.get('detail')),
                            fix_text(first.get('fix')) or
                            're-run playbooks/provision.yml (network role) to restore the declared rules', evidence)
        if secgroup is not None:
            evidence.append('security groups allow port %d as declared' % spec['port'])

    mismatched = [k for k in (env_mismatches or {}).get(host, []) if k in spec.get('credentials', [])]
    if reason in CREDENTIALS:
        if mismatched:
            evidence.append('.env on %s differs from the provisioned values in %s' % (host, ', '.join(mismatched)))
            return _verdict('env_credentials',
                            'the .env on %s holds a %s that differs from the provisioned value' % (host, mismatched[0]),
                            're-run playbooks/configure.yml (app_env role) to rewrite .env from the outputs and vault',
                            evidence)
        if env_mismatches is not None:
            evidence.append('.env credentials on %s match the provisioned values' % host)
            return _verdict('service_credentials',
                            'the %s service no longer accepts the provisioned credentials' % point,
                            'the secret was changed on the service side: reset it to the vault value (re-run the %s'
                            ' role)' % SECRET_ROLE.get(point, point), evidence)

    moved = [k for k in (env_mismatches or {}).get(host, []) if k in spec.get('address', [])]
    if moved and reason in WRONG_ADDRESS:
        evidence.append('.env on %s differs from the outputs in %s' % (host, ', '.join(moved)))
        return _verdict('env_address',
                        'the .env on %s points %s elsewhere than the outputs (%s)' % (host, point, ', '.join(moved)),
                        're-run playbooks/configure.yml (app_env role) to rewrite .env from the outputs', evidence)

    if reason == 'dns':
        return _verdict('dns', cause, 'use the private IP from the outputs file in .env, or fix DNS between the hosts',
                        evidence)

    if reason in NO_ROUTE and host_networks and server is not None:
        shared = set(host_networks.get(host, [])) & set(server.get('networks') or [])
        if not shared:
            return _verdict('network', '%s and %s are not on the same network' % (host, server['name']),
                            'attach both to the private network (re-run playbooks/provision.yml)', evidence)

    if server is not None and reason == 'refused':
        return _verdict('not_listening',
                        'nothing listens on %s port %s although the server is ACTIVE' % (server['name'], spec['port']),
                        'start the service on %s (%s)' % (server['name'], SERVICE_START.get(point, 'see its logs')),
                        evidence)

    return _verdict('probe', cause, fix, evidence)


# What brings a server back to ACTIVE, by the state Nova reports (the openstack CLI's words).
_STATE_FIX = {
    'ERROR': ('show the fault (openstack server show {name} -c fault); then reset the state '
              '(openstack server set --state active {name}) if the fault is transient, or rebuild it '
              '(openstack server rebuild {name}), or delete it (openstack server delete {name}) and re-run '
              'playbooks/provision.yml'),
    'SHUTOFF': 'start it: openstack server start {name}',
    'SUSPENDED': 'resume it: openstack server resume {name}',
    'PAUSED': 'unpause it: openstack server unpause {name}',
    'SHELVED': 'unshelve it: openstack server unshelve {name}',
    'SHELVED_OFFLOADED': 'unshelve it: openstack server unshelve {name}',
    'RESCUE': 'leave rescue mode: openstack server unrescue {name}',
    'VERIFY_RESIZE': 'confirm the resize: openstack server resize confirm {name}',
    'BUILD': ('it is still being built: wait and run verify again; if it stays in BUILD, delete it '
              '(openstack server delete {name}) and re-run playbooks/provision.yml'),
}


def server_state_fix(name, status):
    """The fix for a server that is not ACTIVE, by its state."""
    return _STATE_FIX.get(str(status or '').upper(), (
        'wait for the {status} operation to end (openstack server show {name} -c status), then run verify '
        'again; if it does not end, delete it (openstack server delete {name}) and re-run '
        'playbooks/provision.yml')).format(name=name, status=status)


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
