"""Diagnosis rules (the guide's Common Integration Issues) and the three report formats.

The rules decide on the probe's ``reason``, never on its words: test_rewording_* produce every
failure the probes can give, from their real message tables, then reword every message (nonsense,
and each one swapped for another's text) and show each diagnosis stays the same in every context.
"""
import datetime
import json
import xml.etree.ElementTree as ET

import pytest

from ansible_collections.gpt371.infra.plugins.module_utils import _http, _pg, _probe, _s3
from ansible_collections.gpt371.infra.plugins.module_utils import _report as report
from ansible_collections.gpt371.infra.plugins.module_utils._diagnose import RULES, diagnose

REFUSED = {'point': 'database', 'host': 'agent-server-0', 'failed_check': 'connect', 'reason': 'refused',
           'cause': 'connection refused at 10.0.0.12:5432', 'fix': 'check PostgreSQL runs'}
ACTIVE = [{'name': 'demo-supabase', 'status': 'ACTIVE', 'networks': ['demo-net']},
          {'name': 'demo-xpipe', 'status': 'ACTIVE', 'networks': ['demo-net']}]
SG_MISSING_8080 = {'findings': [{'severity': 'high', 'kind': 'missing_rule', 'group': 'demo-xpipe',
                                 'rule': {'direction': 'ingress', 'protocol': 'tcp', 'port_range_min': 8080,
                                          'port_range_max': 8080, 'remote_ip_prefix': '10.10.0.0/24'},
                                 'detail': 'demo-xpipe lacks ingress tcp 8080 from 10.10.0.0/24',
                                 'fix': {'openstack.cloud.security_group_rule': {
                                     'security_group': 'demo-xpipe', 'port_range_min': 8080}}}]}


def test_server_not_active_comes_first():
    servers = [{'name': 'demo-supabase', 'status': 'SHUTOFF', 'networks': ['demo-net']}]
    verdict = diagnose(REFUSED, servers, SG_MISSING_8080, deployment='demo')
    assert verdict['rule'] == 'server_down'
    assert verdict['likely_cause'] == 'the database server demo-supabase is SHUTOFF'
    assert 'openstack server start demo-supabase' in verdict['fix']
    assert 'server demo-supabase is SHUTOFF' in verdict['evidence']


def test_security_group_blocking_the_port():
    row = dict(REFUSED, point='xpipe', failed_check='request', reason='timeout',
               cause='no answer from 10.0.0.11:8080 within 3.0 s')
    verdict = diagnose(row, ACTIVE, SG_MISSING_8080, deployment='demo')
    assert verdict['rule'] == 'security_group'
    assert verdict['likely_cause'] == 'security group demo-xpipe blocks tcp/8080 from 10.10.0.0/24'
    assert 'openstack.cloud.security_group_rule' in verdict['fix'] and 'port_range_min=8080' in verdict['fix']
    assert any('missing_rule' in e for e in verdict['evidence'])


def test_security_group_finding_for_another_port_is_not_blamed():
    verdict = diagnose(REFUSED, ACTIVE, SG_MISSING_8080, deployment='demo')
    assert verdict['rule'] == 'not_listening'
    assert verdict['likely_cause'] == 'nothing listens on demo-supabase port 5432 although the server is ACTIVE'
    assert 'security groups allow port 5432 as declared' in verdict['evidence']


def test_credentials_in_env_differ_from_outputs():
    row = {'point': 'storage', 'host': 'core', 'failed_check': 'bucket', 'reason': 'auth',
           'cause': 'the secret key does not match the access key', 'fix': 'check STORAGE_SECRET_KEY'}
    verdict = diagnose(row, env_mismatches={'core': ['STORAGE_SECRET_KEY']})
    assert verdict['rule'] == 'env_credentials'
    assert verdict['likely_cause'] == 'the .env on core holds a STORAGE_SECRET_KEY that differs from the provisioned value'
    assert 'configure.yml' in verdict['fix']


def test_credentials_match_so_the_service_changed():
    row = {'point': 'database', 'host': 'core', 'failed_check': 'connect', 'reason': 'auth',
           'cause': 'password authentication failed for user app', 'fix': 'check DB_PASSWORD'}
    verdict = diagnose(row, env_mismatches={'core': []})
    assert verdict['rule'] == 'service_credentials'
    assert 'no longer accepts the provisioned credentials' in verdict['likely_cause']
    assert 'database role' in verdict['fix']


def test_hosts_on_different_networks():
    row = dict(REFUSED, reason='unreachable', cause='no route to 10.0.0.12:5432')
    verdict = diagnose(row, ACTIVE, deployment='demo', host_networks={'agent-server-0': ['other-net']})
    assert verdict['rule'] == 'network'
    assert verdict['likely_cause'] == 'agent-server-0 and demo-supabase are not on the same network'


def test_unknown_cause_keeps_the_probe_diagnosis():
    row = {'point': 'storage', 'host': 'core', 'failed_check': 'bucket', 'reason': 'not_found',
           'cause': 'bucket x does not exist at http://s3', 'fix': 'create it (storage role) or check STORAGE_BUCKET'}
    verdict = diagnose(row)
    assert verdict['rule'] == 'probe'
    assert (verdict['likely_cause'], verdict['fix']) == (row['cause'], row['fix'])


def test_the_words_alone_diagnose_nothing():
    """The old phrase matching is gone: a row that only *says* 'connection refused' has no reason to act on."""
    row = dict(REFUSED, reason='error')
    assert diagnose(row, ACTIVE, SG_MISSING_8080, deployment='demo')['rule'] == 'probe'


# -- rewording every probe message changes no diagnosis -----------------------------------------------

PG = dict(host='10.0.0.12', port=5432, dbname='371gpt', user='app', ssl_mode='verify-full')
FIELDS = dict(where='10.0.0.12:8080', host='10.0.0.12', port=8080, path='/health', status=500, expected=[200],
              header='X-API-Key', ctype='text/html', body="'<html>'", diff='status', waited=3.0, detail='d',
              bucket='assets', endpoint='http://s3:9000', op='PutObject', code='X', got='a', digest='b',
              name='vector', found='0.4', minimum='0.5', schema='public', nearest=1, check='extensions', text='t')
TABLES = [(_pg.MESSAGES, 'database'), (_s3.MESSAGES, 'storage'), (_http.XPIPE_MESSAGES, 'xpipe')]


def all_failures():
    """(id, point, ProbeFailure) for every entry of every message table, built by the probes' own helpers."""
    out = []
    for key in _pg.MESSAGES:
        out.append(('pg.' + key, 'database', _pg.failure(key, PG, **FIELDS)))
    for key in _s3.MESSAGES:
        out.append(('s3.' + key, 'storage', _s3.failure(key, **FIELDS)))
    for code in ('SignatureDoesNotMatch', 'NoSuchBucket', '404', 'AccessDenied', '503', 'Weird'):
        out.append(('s3.code.' + code, 'storage', _s3.client_failure(code, 'm', 'assets', 'http://s3', 'PutObject')))
    for key in _http.XPIPE_MESSAGES:
        out.append(('xpipe.' + key, 'xpipe', _http.message(_http.XPIPE_MESSAGES, key, **FIELDS)))
    for status in (401, 403, 404, 500, 302):
        out.append(('xpipe.status.%d' % status, 'xpipe', _http.status_failure(status, [200], '/health', 'X-API-Key')))
    now = datetime.datetime.now(datetime.timezone.utc)
    for reason in _http.TLS_MESSAGES:
        diagnosis = {'reason': reason, 'host': 'h', 'not_after': now, 'not_before': now, 'names': ['n'],
                     'issuer': 'CN=i', 'subject': 'CN=s', 'detail': 'd'}
        for point in ('database', 'storage', 'xpipe'):
            out.append(('tls.%s.%s' % (reason, point), point, _http.tls_failure(diagnosis, 'h:1', '/ca.pem', 'p')))
    for point in ('database', 'storage', 'xpipe'):
        out.append(('config.' + point, point, _probe.invalid_option('port', 70000, 'a port')))
    return out


CONTEXTS = {
    'bare': {},
    'all_active_nothing_found': dict(servers=ACTIVE, secgroup={'findings': []}, env_mismatches={'h': []},
                                     deployment='demo', host_networks={'h': ['demo-net']}),
    'servers_down': dict(servers=[dict(s, status='SHUTOFF') for s in ACTIVE], deployment='demo'),
    'ports_blocked': dict(servers=ACTIVE, deployment='demo', secgroup={'findings': [
        dict(SG_MISSING_8080['findings'][0], detail='5432 and 8080 blocked',
             rule={'port_range_min': 5432, 'port_range_max': 8080})]}),
    'env_credentials': dict(env_mismatches={'h': ['DB_PASSWORD', 'STORAGE_SECRET_KEY', 'XPIPE_API_KEY']}),
    'env_address': dict(env_mismatches={'h': ['DB_HOST', 'STORAGE_ENDPOINT', 'XPIPE_HOST']}),
    'other_network': dict(servers=ACTIVE, deployment='demo', host_networks={'h': ['elsewhere']}),
}


def diagnoses():
    """{(failure id, context): verdict with the probe's own words replaced by placeholders}."""
    out = {}
    for fid, point, failure in all_failures():
        row = {'point': point, 'host': 'h', 'failed_check': 'c', 'reason': failure.reason,
               'cause': failure.cause, 'fix': failure.fix}
        for name, context in CONTEXTS.items():
            verdict = diagnose(row, **context)
            for field in ('likely_cause', 'fix'):
                verdict[field] = verdict[field].replace(failure.cause, '<cause>').replace(failure.fix, '<fix>')
            out[(fid, name)] = verdict
    return out


def reword(monkeypatch, words):
    """Replace every template of every message table with words(key, old template)."""
    for table, _point in TABLES:
        for key, (reason, cause, fix) in list(table.items()):
            monkeypatch.setitem(table, key, (reason, words(key, cause), words(key, fix)))
    for key, (cause, fix) in list(_http.TLS_MESSAGES.items()):
        monkeypatch.setitem(_http.TLS_MESSAGES, key, (words(key, cause), words(key, fix)))
    for key, (cause, fix) in list(_probe.MESSAGES.items()):
        monkeypatch.setitem(_probe.MESSAGES, key, (words(key, cause), words(key, fix)))


def test_the_corpus_reaches_every_rule():
    assert {v['rule'] for v in diagnoses().values()} == set(RULES), 'the rewording tests would prove too little'


def test_rewording_every_message_into_nonsense_changes_no_diagnosis(monkeypatch):
    before = diagnoses()
    counter = iter(range(10 ** 6))
    reword(monkeypatch, lambda key, text: 'lorem ipsum %d' % next(counter))
    assert all('lorem ipsum' in f.cause for _id, _p, f in all_failures()), 'the rewording did not take'
    assert diagnoses() == before


def test_swapping_every_message_for_another_ones_words_changes_no_diagnosis(monkeypatch):
    """Adversarial wording: the password failure now *says* 'connection refused', and so on round the table."""
    before = diagnoses()
    rendered = {fid: (f.cause, f.fix) for fid, _p, f in all_failures()}
    texts = [t.replace('{', '{{').replace('}', '}}') for pair in rendered.values() for t in pair]
    position = iter(range(10 ** 6))
    reword(monkeypatch, lambda key, text: texts[(next(position) * 7 + 3) % len(texts)])
    assert diagnoses() == before


def test_nonsense_in_registered_results_changes_no_report_row():
    """The same through build_rows: results whose msg, cause, fix and check details are nonsense."""
    probes = []
    for fid, point, failure in all_failures():
        result = {'ok': False, 'failed': True, 'attempts': 1, 'elapsed_ms': 5, 'failed_check': 'c',
                  'reason': failure.reason, 'cause': failure.cause, 'fix': failure.fix, 'msg': failure.cause,
                  'checks': [{'name': 'c', 'ok': False, 'reason': failure.reason, 'detail': failure.detail}]}
        probes.append({'point': point, 'host': 'h', 'result': result})
    for name, context in CONTEXTS.items():
        rows = report.build_rows(probes, **context)
        garbled = [dict(p, result=dict(p['result'], cause='zz', fix='yy', msg='xx',
                                       checks=[dict(p['result']['checks'][0], detail='ww')])) for p in probes]
        rows_garbled = report.build_rows(garbled, **context)
        for row, other in zip(rows, rows_garbled):
            assert (row['diagnosis'], row['reason'], row['evidence']) == (
                other['diagnosis'], other['reason'], other['evidence']), (name, row['point'], row['reason'])


# -- report --------------------------------------------------------------------------------------

def _probes():
    ok = {'ok': True, 'elapsed_ms': 12, 'attempts': 1, 'tls_version': 'TLSv1.3',
          'checks': [{'name': 'connect', 'ok': True, 'detail': 'fine'}]}
    bad = {'ok': False, 'elapsed_ms': 30, 'attempts': 2, 'failed_check': 'bucket', 'reason': 'auth',
           'cause': 'the secret key does not match the access key', 'fix': 'check STORAGE_SECRET_KEY',
           'checks': [{'name': 'bucket', 'ok': False, 'reason': 'auth', 'detail': 'SignatureDoesNotMatch'}]}
    return [{'point': 'database', 'host': 'core', 'result': ok}, {'point': 'storage', 'host': 'core', 'result': bad}]


def test_rows_summary_and_formats():
    rows = report.build_rows(_probes(), env_mismatches={'core': ['STORAGE_SECRET_KEY']})
    summary = report.summarize(rows)
    assert summary == {'total': 2, 'passed': 1, 'failed': 1, 'ok': False}
    assert (rows[1]['reason'], rows[1]['diagnosis']) == ('auth', 'env_credentials')
    md = report.render_markdown(rows, summary, 'T')
    assert '| database | core | pass | TLSv1.3 | 12 ms | fine |' in md
    assert '| storage | core | **FAIL** |' in md and 'configure.yml' in md
    suite = ET.fromstring(report.render_junit(rows, summary, 'T', 0.5)).find('testsuite')
    assert (suite.get('tests'), suite.get('failures')) == ('2', '1')
    failure = suite.find("testcase[@name='storage from core']/failure")
    assert 'STORAGE_SECRET_KEY' in failure.get('message') and failure.get('type') == 'bucket'
    tls = suite.find("testcase[@name='database from core']/properties/property[@name='tls_version']")
    assert tls.get('value') == 'TLSv1.3'
    data = json.loads(report.render_json(rows, summary, 'T', 'now'))
    assert data['summary']['failed'] == 1 and data['rows'][1]['likely_cause']
    assert report.failure_lines(rows)[0].startswith('storage from core: the .env on core holds')


def test_markdown_escapes_pipes():
    rows = [{'point': 'xpipe', 'host': 'h', 'ok': True, 'latency_ms': 1, 'detail': 'a | b'}]
    assert 'a \\| b' in report.render_markdown(rows, report.summarize(rows), 'T')


def test_security_group_row():
    rows = report.build_rows([], secgroup=SG_MISSING_8080)
    assert rows[0]['point'] == 'security_groups' and not rows[0]['ok']
    assert rows[0]['fix'].startswith('openstack.cloud.security_group_rule: ') and 'port_range_min=8080' in rows[0]['fix']


@pytest.mark.parametrize('result', [{}, {'ok': False, 'cause': 'the probe did not run on h', 'fix': 'run -v'}])
def test_a_probe_that_did_not_run_is_a_failed_row(result):
    rows = report.build_rows([{'point': 'xpipe', 'host': 'h', 'result': result}])
    assert not rows[0]['ok'] and rows[0]['diagnosis'] == 'probe' and rows[0]['reason'] is None
