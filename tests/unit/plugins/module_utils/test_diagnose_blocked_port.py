"""A blocked port diagnosed from both sides: the probe's connection failed (refused / timeout) AND the
security-group audit (secgroup_check findings) names the rule; joined by structured fields only (kind, rule
direction/protocol/port range, the server a server_missing_group finding is about), never by words. Plus the TLS
version and the "api (external)" row in every rendering."""
import json
import xml.etree.ElementTree as ET

from ansible_collections.gpt371.infra.plugins.module_utils import _report as report
from ansible_collections.gpt371.infra.plugins.module_utils._diagnose import API_EXTERNAL, diagnose, port_findings
from ansible_collections.gpt371.infra.plugins.module_utils._diagnose import rule_command

ACTIVE = [{'name': 'demo-xpipe', 'status': 'ACTIVE', 'networks': ['demo-net']},
          {'name': 'demo-core', 'status': 'ACTIVE', 'networks': ['demo-net']}]
TIMEOUT = {'point': 'xpipe', 'host': 'demo-kespa', 'failed_check': 'request', 'reason': 'timeout',
           'cause': 'no answer from 10.10.0.11:8080 within 10.0 s', 'fix': 'check the service runs'}


def missing(group, port_min, port_max=None, protocol='tcp', remote='10.10.0.0/24', direction='ingress', **extra):
    rule = {'direction': direction, 'ethertype': 'IPv4', 'protocol': protocol, 'port_range_min': port_min,
            'port_range_max': port_min if port_max is None else port_max, 'remote_ip_prefix': remote,
            'remote_group': None}
    rule.update(extra)
    return {'severity': 'high', 'kind': 'missing_rule', 'group': group, 'rule': rule,
            'detail': 'words that the join never reads',
            'fix': {'openstack.cloud.security_group_rule': {
                'security_group': group, 'protocol': protocol, 'port_range_min': port_min,
                'port_range_max': port_min if port_max is None else port_max, 'remote_ip_prefix': remote,
                'direction': direction, 'state': 'present'}}}


def test_missing_rule_for_the_port_names_group_port_source_and_the_command():
    verdict = diagnose(TIMEOUT, ACTIVE, {'findings': [missing('demo-xpipe', 8080)]}, deployment='demo')
    assert verdict['rule'] == 'security_group'
    assert verdict['likely_cause'] == 'security group demo-xpipe blocks tcp/8080 from 10.10.0.0/24'
    assert ('openstack security group rule create --ingress --protocol tcp --dst-port 8080 '
            '--remote-ip 10.10.0.0/24 demo-xpipe') in verdict['fix']
    assert 'openstack.cloud.security_group_rule' in verdict['fix'] and 'port_range_min=8080' in verdict['fix']


def test_refused_is_joined_as_well_as_timeout():
    row = dict(TIMEOUT, reason='refused')
    assert diagnose(row, ACTIVE, {'findings': [missing('demo-xpipe', 8080)]}, deployment='demo')['rule'] == \
        'security_group'


def test_a_range_that_covers_the_port_is_joined_one_that_does_not_is_not():
    assert port_findings(8080, {'findings': [missing('g', 8000, 8100)]})
    assert not port_findings(8080, {'findings': [missing('g', 8081, 8100)]})


def test_other_protocol_or_direction_is_not_joined():
    assert not port_findings(8080, {'findings': [missing('g', 8080, protocol='udp')]})
    assert not port_findings(8080, {'findings': [missing('g', 8080, direction='egress')]})
    assert port_findings(8080, {'findings': [missing('g', None, protocol='any')]})


def test_the_detail_text_alone_joins_nothing():
    """A finding whose words mention 8080 but whose rule is about 5432 is not blamed for 8080."""
    finding = missing('demo-db', 5432)
    finding['detail'] = 'tcp/8080 8080 port 8080'
    verdict = diagnose(TIMEOUT, ACTIVE, {'findings': [finding]}, deployment='demo')
    assert verdict['rule'] != 'security_group'
    assert 'security groups allow port 8080 as declared' in verdict['evidence']


def test_server_not_in_the_group_is_joined_by_the_server_name():
    finding = {'severity': 'high', 'kind': 'server_missing_group', 'group': 'demo-xpipe', 'rule': None,
               'detail': 'not read', 'fix': {'openstack.cloud.server': {'name': 'demo-xpipe',
                                                                        'security_groups': ['demo-ssh', 'demo-xpipe']}}}
    verdict = diagnose(TIMEOUT, ACTIVE, {'findings': [finding]}, deployment='demo')
    assert verdict['rule'] == 'security_group'
    assert verdict['likely_cause'].startswith('security group demo-xpipe blocks tcp/8080 to demo-xpipe')
    assert 'openstack server add security group demo-xpipe demo-xpipe' in verdict['fix']
    other = dict(finding, fix={'openstack.cloud.server': {'name': 'demo-kespa'}})
    assert diagnose(TIMEOUT, ACTIVE, {'findings': [other]}, deployment='demo')['rule'] != 'security_group'


def test_the_row_port_wins_over_the_points_usual_port():
    row = dict(TIMEOUT, port=9443)
    assert diagnose(row, ACTIVE, {'findings': [missing('demo-xpipe', 9443)]}, deployment='demo')['rule'] == \
        'security_group'
    assert diagnose(row, ACTIVE, {'findings': [missing('demo-xpipe', 8080)]}, deployment='demo')['rule'] != \
        'security_group'


def test_remote_group_source_and_ipv6_in_the_command():
    rule = {'protocol': 'tcp', 'port_range_min': 443, 'port_range_max': 443, 'remote_group': 'demo-core',
            'ethertype': 'IPv6'}
    assert rule_command('demo-api', rule, 'tcp', 443) == (
        'openstack security group rule create --ingress --protocol tcp --dst-port 443 --remote-group demo-core '
        '--ethertype IPv6 demo-api')


def test_api_external_blocked_from_the_controller():
    row = {'point': API_EXTERNAL, 'host': 'controller', 'failed_check': 'request', 'reason': 'timeout',
           'cause': 'no answer', 'fix': 'x'}
    sg = {'findings': [missing('demo-api', 443, remote='0.0.0.0/0')]}
    verdict = diagnose(row, ACTIVE, sg, deployment='demo')
    assert verdict['likely_cause'] == 'security group demo-api blocks tcp/443 from 0.0.0.0/0'
    assert '--dst-port 443 --remote-ip 0.0.0.0/0 demo-api' in verdict['fix']


def test_a_server_that_is_down_comes_before_the_rule():
    servers = [dict(ACTIVE[0], status='SHUTOFF')]
    verdict = diagnose(TIMEOUT, servers, {'findings': [missing('demo-xpipe', 8080)]}, deployment='demo')
    assert verdict['rule'] == 'server_down'


# -- TLS version and the external row in every rendering ------------------------------------------------------

def _rows():
    passed = {'ok': True, 'elapsed_ms': 5, 'attempts': 1, 'tls_version': 'TLSv1.3',
              'checks': [{'name': 'request', 'ok': True, 'detail': 'HTTP 200'}]}
    pg = dict(passed, tls_version=None, ssl_protocol='TLSv1.2')
    plain = dict(passed, tls_version=None)
    blocked = {'ok': False, 'elapsed_ms': 10000, 'attempts': 2, 'failed_check': 'request', 'reason': 'timeout',
               'cause': 'no answer from 172.24.4.10:443', 'fix': 'check', 'checks': []}
    probes = [{'point': 'database', 'host': 'core', 'result': pg},
              {'point': 'storage', 'host': 'core', 'result': passed},
              {'point': 'xpipe', 'host': 'core', 'result': plain},
              {'point': API_EXTERNAL, 'host': 'controller', 'result': blocked, 'port': 443}]
    sg = {'findings': [missing('demo-api', 443, remote='0.0.0.0/0')]}
    return report.build_rows(probes, servers=ACTIVE, secgroup=sg, deployment='demo')


def test_tls_version_in_rows_and_renderings():
    rows = _rows()
    by_point = {r['point']: r for r in rows}
    assert by_point['database']['tls_version'] == 'TLSv1.2'
    assert by_point['storage']['tls_version'] == 'TLSv1.3'
    assert by_point['xpipe']['tls_version'] is None
    summary = report.summarize(rows)
    md = report.render_markdown(rows, summary, 'T')
    assert '| database | core | pass | TLSv1.2 |' in md and '| storage | core | pass | TLSv1.3 |' in md
    assert '| xpipe | core | pass | no TLS |' in md
    table = report.render_table(rows)
    assert table[0].split()[:5] == ['POINT', 'FROM', 'RESULT', 'TLS', 'LATENCY']
    assert table[1].split()[:4] == ['database', 'core', 'pass', 'TLSv1.2']
    suite = ET.fromstring(report.render_junit(rows, summary, 'T', 0.1)).find('testsuite')
    values = {case.get('name'): case.find("properties/property[@name='tls_version']").get('value')
              for case in suite.findall('testcase')}
    assert values['storage from core'] == 'TLSv1.3' and values['xpipe from core'] == 'no TLS'
    page = report.render_html(rows, summary, 'T')
    assert 'data-point="storage" data-state="pass" data-tls="TLSv1.3"' in page
    assert 'pass · TLSv1.3 · 5 ms' in page
    data = json.loads(report.render_json(rows, summary, 'T', 'now'))
    assert [r['tls_version'] for r in data['rows'][:3]] == ['TLSv1.2', 'TLSv1.3', None]


def test_api_external_row_is_its_own_row_and_diagnosed():
    rows = _rows()
    api = next(r for r in rows if r['point'] == API_EXTERNAL)
    assert (api['host'], api['ok'], api['diagnosis']) == ('controller', False, 'security_group')
    assert api['likely_cause'] == 'security group demo-api blocks tcp/443 from 0.0.0.0/0'
    hosts, points, _cells = report.matrix(rows)
    assert API_EXTERNAL not in points and 'controller' not in hosts
    page = report.render_html(rows, report.summarize(rows), 'T')
    assert 'data-point="api (external)"' in page and 'blocks tcp/443' in page
