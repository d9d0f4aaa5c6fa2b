# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""TLS on every connection and the public API from outside, on the standing ``gpt371-lab`` deployment.

The lab's CA (lab/.state/ca.pem) signs the object storage's, the database's (database role), XPipe's and the public
API's (stack role) certificates; inventories/local has no http override. Through whatever access inventories/local
chooses (bastion in strict mode):
  site.yml on the standing deployment (made with one agent server when missing, kept afterwards like `make demo`'s;
  a re-run when present, so the TLS settings are applied) -> the report shows the negotiated TLS version on the
  database, storage and XPipe rows of every app host, in JSON, Markdown, JUnit and HTML, and the "api (external)" row
  passes: HTTPS from the controller to core's floating IP on 443, verified against the lab CA;
  the api group's 443 rule removed -> the controller's own connection to core's floating IP fails (the security
  group drops it), verify.yml fails and its api (external) row says "security group gpt371-lab-api blocks tcp/443
  from 0.0.0.0/0" with the command that adds the rule; the rule restored -> the connection works again.
"""
import json
import os
import socket
import ssl
import time
import xml.etree.ElementTree as ET

import pytest
from lab_playbook import REPO, run_playbook, tcp_open

STANDING = {'name': 'gpt371-lab', 'cidr': '10.10.0.0/24'}
CA = os.path.join(REPO, 'lab', '.state', 'ca.pem')
API = 'api (external)'
TLS_POINTS = ('database', 'storage', 'xpipe')
FAST = ['verify_timeout=8', 'verify_retries=0']


def servers(conn):
    return {s.name: s for s in conn.compute.servers()
            if (s.metadata or {}).get('gpt371_deployment') == STANDING['name']}


def floating_ip(conn, server):
    """The floating IP on one of the server's ports, as Neutron has it."""
    ports = {port.id for port in conn.network.ports(device_id=server.id)}
    return next((ip.floating_ip_address for ip in conn.network.ips() if ip.port_id in ports), None)


def tls_version(host, port, timeout=5.0):
    """The TLS version of a handshake verified against the lab CA (host name = the address), or the error."""
    ctx = ssl.create_default_context(cafile=CA)
    try:
        with socket.create_connection((host, port), timeout=timeout) as raw:
            with ctx.wrap_socket(raw, server_hostname=host) as tls:
                return tls.version()
    except (OSError, ssl.SSLError) as exc:
        return exc


def until(predicate, limit):
    deadline = time.monotonic() + limit
    while True:
        value = predicate()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.5)


@pytest.fixture(scope='module')
def standing(lab_up, conn, tmp_path_factory):
    """site.yml on gpt371-lab (its agent count kept), the reports in a directory of this test."""
    found = servers(conn)
    agents = sum(1 for s in found.values() if s.metadata.get('gpt371_role') == 'agent') if found else 1
    reports = str(tmp_path_factory.mktemp('tls-reports'))
    started = time.monotonic()
    code, output, _recap = run_playbook('site.yml', STANDING, 'agent_count=%d' % agents,
                                        'verify_report_dir=' + reports)
    assert code == 0, output[-8000:]
    print('site.yml on the standing deployment (%s): %.0f s' % ('re-run' if found else 'new',
                                                                time.monotonic() - started))
    core = servers(conn)[STANDING['name'] + '-core']
    return {'reports': reports, 'fip': floating_ip(conn, core), 'agents': agents}


def report(standing):
    with open(os.path.join(standing['reports'], 'integration-report.json'), encoding='utf-8') as handle:
        return json.load(handle)


def test_every_point_shows_its_tls_version_in_every_format(standing):
    rows = report(standing)['rows']
    assert report(standing)['summary']['ok'], [r for r in rows if not r['ok']]
    for point in TLS_POINTS:
        got = [r for r in rows if r['point'] == point]
        assert len(got) == 3 + standing['agents'], (point, got)
        assert all(r['tls_version'] in ('TLSv1.2', 'TLSv1.3') for r in got), got
    with open(os.path.join(standing['reports'], 'integration-report.md'), encoding='utf-8') as handle:
        md = handle.read()
    assert '| Integration point | From host | Result | TLS |' in md
    assert md.count('| pass | TLSv1.') >= 3 * (3 + standing['agents']) + 1
    suite = ET.parse(os.path.join(standing['reports'], 'integration-report.xml')).getroot().find('testsuite')
    versions = {case.get('name'): case.find("properties/property[@name='tls_version']").get('value')
                for case in suite.findall('testcase')}
    assert all(versions[n].startswith('TLSv1.') for n in versions if n.split(' from ')[0] in TLS_POINTS + (API,))
    with open(os.path.join(standing['reports'], 'integration-report.html'), encoding='utf-8') as handle:
        page = handle.read()
    assert page.count('data-tls="TLSv1.') >= 3 * (3 + standing['agents'])


def test_api_external_row_passes_through_the_floating_ip(standing):
    row = next(r for r in report(standing)['rows'] if r['point'] == API)
    assert row['ok'] and row['host'] == 'controller', row
    assert row['tls_version'] in ('TLSv1.2', 'TLSv1.3')
    # The same path as an external service, from this test: HTTPS to core's floating IP, verified with the lab CA.
    assert standing['fip'], 'core has no floating IP'
    assert tls_version(standing['fip'], 443) in ('TLSv1.2', 'TLSv1.3')


def test_removed_api_rule_blocks_the_connection_and_verify_names_the_rule(standing, conn, tmp_path):
    group = conn.network.find_security_group(STANDING['name'] + '-api')
    rule = next(r for r in conn.network.security_group_rules(security_group_id=group.id)
                if r.direction == 'ingress' and r.port_range_min == 443 and r.ether_type == 'IPv4')
    conn.network.delete_security_group_rule(rule)
    try:
        blocked = until(lambda: not tcp_open(standing['fip'], 443), 10)
        assert blocked, 'the controller still reaches %s:443 without the rule' % standing['fip']
        code, output, _recap = run_playbook('verify.yml', STANDING, 'verify_report_dir=' + str(tmp_path), *FAST)
    finally:
        conn.network.create_security_group_rule(
            security_group_id=group.id, direction='ingress', protocol='tcp', port_range_min=443,
            port_range_max=443, remote_ip_prefix=rule.remote_ip_prefix, ether_type=rule.ether_type)
    assert code != 0, output[-4000:]
    with open(tmp_path / 'integration-report.json', encoding='utf-8') as handle:
        rows = json.load(handle)['rows']
    api = next(r for r in rows if r['point'] == API)
    assert not api['ok'] and api['reason'] in ('timeout', 'refused', 'unreachable'), api
    assert api['diagnosis'] == 'security_group'
    assert api['likely_cause'] == 'security group %s-api blocks tcp/443 from 0.0.0.0/0' % STANDING['name']
    assert ('openstack security group rule create --ingress --protocol tcp --dst-port 443 --remote-ip 0.0.0.0/0 '
            '%s-api' % STANDING['name']) in api['fix']
    assert all(r['ok'] for r in rows if r['point'] in TLS_POINTS), [r for r in rows if not r['ok']]
    # Restored: the connection comes back within the lab's 5 s (a little more for the handshake).
    assert until(lambda: tls_version(standing['fip'], 443, timeout=2) in ('TLSv1.2', 'TLSv1.3'), 15)
