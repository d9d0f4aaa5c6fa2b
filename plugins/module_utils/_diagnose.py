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

API_EXTERNAL = 'api (external)'
# What each integration point depends on: the server that runs it, its port, the .env keys.
POINTS = {
    'database': {'server': 'supabase', 'port': 5432,
                 'credentials': ['DB_PASSWORD', 'DB_USER'], 'address': ['DB_HOST', 'DB_PORT', 'DB_NAME']},
    'storage': {'server': None, 'port': None,
                'credentials': ['STORAGE_SECRET_KEY', 'STORAGE_ACCESS_KEY'],
                'address': ['STORAGE_ENDPOINT', 'STORAGE_BUCKET']},
    'xpipe': {'server': 'xpipe', 'port': 8080,
              'credentials': ['XPIPE_API_KEY'], 'address': ['XPIPE_HOST', 'XPIPE_PORT']},
    # The public API as an external service reaches it: from the controller, at core's floating IP, over TLS.
    API_EXTERNAL: {'server': 'core', 'port': 443, 'credentials': [], 'address': []},
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
                 'xpipe': 'docker compose up -d xpipe in the stack directory',
                 API_EXTERNAL: 'docker compose up -d api in the stack directory; check the api publishes the port'}
SECRET_ROLE = {'database': 'database', 'storage': 'storage', 'xpipe': 'stack', API_EXTERNAL: 'stack'}


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


def _covers(rule, protocol, port):
    """Whether a secgroup_check rule (public form) is about ``protocol``/``port`` (ingress)."""
    if not rule or rule.get('direction', 'ingress') != 'ingress':
        return False
    if str(rule.get('protocol') or 'any') not in (protocol, 'any'):
        return False
    low, high = rule.get('port_range_min'), rule.get('port_range_max')
    if low is None and high is None:
        return True
    low = int(low if low is not None else high)
    high = int(high if high is not None else low)
    return low <= int(port) <= high


def _server_name(finding):
    """The server a server_missing_group finding is about (its fix's ``name``), else None."""
    fix = finding.get('fix')
    if isinstance(fix, dict) and isinstance(fix.get('openstack.cloud.server'), dict):
        return fix['openstack.cloud.server'].get('name')
    return None


def port_findings(port, secgroup, server=None, protocol='tcp'):
    """The secgroup_check findings that block ``protocol``/``port`` to ``server``, joined by structured fields only:
    a ``missing_rule`` whose declared rule covers the port (ingress, same protocol, port range), or a
    ``server_missing_group`` finding about ``server`` (its fix names the server). Never by the words of a detail.
    """
    found = []
    for finding in (secgroup or {}).get('findings', []):
        kind = finding.get('kind')
        if kind == 'missing_rule' and _covers(finding.get('rule'), protocol, port):
            found.append(finding)
        elif kind == 'server_missing_group' and server and _server_name(finding) == server:
            found.append(finding)
    return found


def rule_source(rule):
    """Where a rule admits traffic from: its CIDR, 'group <name>', or 'anywhere' without either."""
    rule = rule or {}
    if rule.get('remote_group'):
        return 'group %s' % rule['remote_group']
    return rule.get('remote_ip_prefix') or 'anywhere'


def rule_command(group, rule, protocol, port):
    """The openstack CLI command that adds the missing rule back."""
    rule = rule or {}
    low = rule.get('port_range_min', port)
    high = rule.get('port_range_max', low)
    ports = '%s' % low if low == high else '%s:%s' % (low, high)
    remote = ('--remote-group %s' % rule['remote_group'] if rule.get('remote_group') else
              '--remote-ip %s' % rule['remote_ip_prefix'] if rule.get('remote_ip_prefix') else '')
    ether = ' --ethertype %s' % rule['ethertype'] if rule.get('ethertype') not in (None, 'IPv4') else ''
    return ('openstack security group rule create --ingress --protocol %s --dst-port %s %s%s %s'
            % (rule.get('protocol') or protocol, ports, remote, ether, group)).replace('  ', ' ')


def blocked_verdict(findings, protocol, port, evidence):
    """'security group <name> blocks tcp/<port> from <source>' with the exact fix, from the first finding."""
    first = findings[0]
    group = first.get('group') or '?'
    evidence.extend('%s %s: %s' % (f.get('kind'), f.get('group'), f.get('detail')) for f in findings)
    if first.get('kind') == 'missing_rule':
        rule = first.get('rule') or {}
        cause = 'security group %s blocks %s/%s from %s' % (group, protocol, port, rule_source(rule))
        fix = 'add the rule: %s (or re-run playbooks/provision.yml, network role); as a task: %s' % (
            rule_command(group, rule, protocol, port), fix_text(first.get('fix')))
    else:
        server = _server_name(first)
        cause = 'security group %s blocks %s/%s to %s: the server is not attached to it' % (
            group, protocol, port, server)
        fix = 'attach it: openstack server add security group %s %s (or re-run playbooks/provision.yml); as a ' \
              'task: %s' % (server, group, fix_text(first.get('fix')))
    return _verdict('security_group', cause, fix, evidence)


def _verdict(rule, likely_cause, fix, evidence):
    return {'rule': rule, 'likely_cause': likely_cause, 'fix': fix, 'evidence': evidence}


def diagnose(row, servers=None, secgroup=None, env_mismatches=None, deployment=None, host_networks=None):
    """The most likely cause of a failed probe row and its fix.

    row: {point, host, failed_check, reason, cause, fix, optional port and protocol (else the point's)}; servers: [{name, status, networks}];
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

    port = row.get('port') or spec.get('port')
    if port and reason in NO_CONNECTION:
        protocol = row.get('protocol') or 'tcp'
        findings = port_findings(port, secgroup, server['name'] if server else None, protocol)
        if findings:
            return blocked_verdict(findings, protocol, int(port), evidence)
        if secgroup is not None:
            evidence.append('security groups allow port %s as declared' % port)

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
                        'nothing listens on %s port %s although the server is ACTIVE' % (server['name'], port),
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
