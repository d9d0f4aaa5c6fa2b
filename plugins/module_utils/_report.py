# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpt371.infra maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
#
# PRIVATE to gpt371.infra: may change without notice; do not import from other collections.
"""The integration report: rows from probe results and the cloud's view, rendered as JSON, Markdown, JUnit XML
and a self-contained HTML matrix; every rendering carries the run (id, times, deployment) it describes."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import html
import json
import uuid
from xml.sax.saxutils import escape, quoteattr

from ansible_collections.gpt371.infra.plugins.module_utils._diagnose import API_EXTERNAL, diagnose, fix_text
from ansible_collections.gpt371.infra.plugins.module_utils._diagnose import server_state_fix

# The integration points probed from each app host (columns of the HTML matrix): the guide's three services, then
# the stack's own view of them (gpt371.infra.service_env: the running containers hold the .env's values).
PROBE_POINTS = ('database', 'storage', 'xpipe', 'services')
# The points a caller that names none gets (integration_report's default): the three probes.
DEFAULT_POINTS = ('database', 'storage', 'xpipe')
# Points probed once from the controller, the way an external service reaches them (their own rows, not cells of
# the host x point matrix): the public API at core's floating IP, over TLS.
EXTERNAL_POINTS = (API_EXTERNAL,)
# The service whose replicas an agent server runs (examples/reference-stack/hosts/agents.yml), AGENT_COUNT of them.
AGENT_SERVICE = 'agent-service'


# -- the run -------------------------------------------------------------------------------------

def utc_now(now=None):
    return (now or datetime.datetime.now(datetime.timezone.utc)).strftime('%Y-%m-%dT%H:%M:%SZ')


def new_run(deployment=None, run_id=None, started_at=None, now=None):
    """The run a report describes: one id (a uuid unless given) and start time, generated once per run."""
    return {'id': run_id or str(uuid.uuid4()), 'started_at': started_at or utc_now(now),
            'finished_at': None, 'deployment': deployment or '', 'status': 'running'}


def unfinished_rows(run, error=None):
    """The one failing row of a report written at the start of a run, before any probe: if the run stops before
    its end, this is what stays on disk, never the previous run's report."""
    cause = 'verify run %s (started %s) stopped before its report was complete' % (run['id'], run['started_at'])
    if error:
        cause += ': %s' % error
    return [{'point': 'verify', 'host': 'controller', 'ok': False, 'latency_ms': None, 'attempts': None,
             'checks': [], 'failed_check': 'run', 'reason': 'unfinished', 'cause': cause, 'detail': cause,
             'likely_cause': cause, 'diagnosis': 'unfinished', 'evidence': [],
             'fix': 'read the first failed task of that run (fix the option it names), then run verify again'}]


# -- inputs --------------------------------------------------------------------------------------

def did_not_run(host, error=None):
    if error:
        return {'ok': False, 'cause': 'the probe did not run on %s: %s' % (host, error),
                'fix': 'fix that error on this host (run the play with -v for details), then run verify again'}
    return {'ok': False, 'cause': 'the probe did not run on %s (unreachable, or an earlier task failed)' % host,
            'fix': 'run the play with -v and fix the first error on this host'}


def agent_replicas_check(result, host, expected, service=AGENT_SERVICE):
    """A service_env result with the agent server's replica count checked: the containers of ``service`` it
    found running against ``expected`` (AGENT_COUNT). Returns the result unchanged when ``expected`` is None or the
    module did not list the containers (it failed before: its own cause stands) or ``expected`` is negative (not an
    agent server), else a copy with a ``replicas``
    check and, when the count differs, ok false, reason ``replicas`` and the count named in cause and fix."""
    if expected is None or str(expected) in ('', 'None') or int(expected) < 0 or result.get('skipped') \
            or result.get('reason') not in (None, 'env_missing', 'env_stale'):
        return result
    expected = int(expected)
    running = sorted(s.get('container') or '?' for s in result.get('services') or [] if s.get('service') == service)
    out = dict(result)
    detail = '%d of %d %s container%s running' % (len(running), expected, service, '' if expected == 1 else 's')
    out['checks'] = list(result.get('checks') or []) + [
        {'name': 'replicas', 'ok': len(running) == expected, 'detail': detail}]
    if len(running) == expected:
        return out
    cause = 'service %s on %s runs %d container%s (%s), AGENT_COUNT in the .env is %d' % (
        service, host, len(running), '' if len(running) == 1 else 's', ', '.join(running) or 'none', expected)
    fix = ('bring the replicas back: docker compose up -d in the stack directory (or re-run playbooks/deploy.yml); '
           'if one keeps stopping, read docker compose logs %s' % service)
    if result.get('ok'):
        out.update(ok=False, reason='replicas', failed_check='replicas', cause=cause, fix=fix)
    else:
        out.update(cause='; '.join(c for c in (result.get('cause'), cause) if c),
                   fix='; '.join(f for f in (result.get('fix'), fix) if f))
    out['failures'] = list(result.get('failures') or []) + ['%s: %s' % (cause, fix)]
    return out


def env_missing_error(entry):
    """The error of a host whose connection values lack keys a wanted point needs (host_probes' env_missing), naming
    the keys and where they were read (env_source: '<.env> on <host>' or 'verify_env'); None when none is missing."""
    missing = entry.get('env_missing') or []
    if not missing:
        return None
    return ('%s lacks %s: re-run playbooks/configure.yml (app_env role) to write the .env, or set them'
            % (entry.get('env_source') or 'the .env', ', '.join(missing)))


def probes_from_results(results, hosts=None, points=DEFAULT_POINTS):
    """{host: {probes: {point: result}, env_mismatch: [keys] | None, env_missing: [keys], env_source: str,
    agent_replicas: int | None, error: str}} -> the probes list and env_mismatches ({host: [keys]}, None when no
    host compared its .env).

    Every host of ``hosts`` gets a row for every point of ``points``: a host that did not report (unreachable,
    failed earlier) or a probe that was skipped while its point was wanted becomes a failed "did not run" row.
    A host whose connection values lack keys (``env_missing``) fails every row, naming the keys: its probes ran
    without them. A host with ``agent_replicas`` (an agent server) has its ``services`` result checked for that
    many agent containers (agent_replicas_check).
    """
    results = results or {}
    probes, mismatches = [], {}
    for host in list(hosts or []) + sorted(h for h in results if h not in (hosts or [])):
        entry = results.get(host) or {}
        lacking = env_missing_error(entry)
        if lacking:
            entry = {'error': lacking}
        registered = entry.get('probes') or {}
        for point in points:
            result = registered.get(point)
            if not result or result.get('skipped'):
                result = did_not_run(host, entry.get('error'))
            elif point == 'services':
                result = agent_replicas_check(result, host, entry.get('agent_replicas'))
            probes.append({'point': point, 'host': host, 'result': result})
        if isinstance(entry.get('env_mismatch'), list):
            mismatches[host] = entry['env_mismatch']
    return probes, (mismatches if mismatches else None)


def server_summary(server):
    """An openstack.cloud server record (or an already reduced one) -> {name, status, networks, role, fault}."""
    addresses = server.get('addresses')
    networks = sorted(addresses) if isinstance(addresses, dict) else list(server.get('networks') or [])
    metadata = server.get('metadata') or {}
    fault = server.get('fault')
    if isinstance(fault, dict):
        fault = fault.get('message') or fault.get('details') or ''
    return {'name': server.get('name'), 'status': server.get('status'), 'networks': networks,
            'role': server.get('role') or metadata.get('gpt371_role'), 'fault': fault or ''}


def not_active_rows(servers=None, not_active=None):
    """A failing row for each server that is not ACTIVE, from the cloud read and from the instances role's
    ``instances_not_active`` (name, status, fault), once per server name."""
    seen, rows = set(), []
    for server in list(not_active or []) + [s for s in servers or [] if s.get('status') != 'ACTIVE']:
        summary = server_summary(server)
        name, status = summary['name'], summary['status'] or 'UNKNOWN'
        if not name or name in seen or status == 'ACTIVE':
            continue
        seen.add(name)
        cause = 'server %s is %s' % (name, status)
        if summary['fault']:
            cause += ': %s' % summary['fault']
        rows.append({'point': 'server', 'host': name, 'ok': False, 'latency_ms': None, 'attempts': None,
                     'checks': [], 'failed_check': 'status', 'reason': 'not_active', 'cause': cause,
                     'detail': cause, 'likely_cause': cause, 'fix': server_state_fix(name, status),
                     'diagnosis': 'server_down', 'evidence': ['status %s' % status]})
    return rows


def agent_count_row(servers, expected, deployment=None):
    """The agent count the cloud holds (servers with metadata gpt371_role: agent) against agent_count."""
    agents = sorted(s['name'] for s in (server_summary(s) for s in servers or []) if s['role'] == 'agent')
    active = [s['name'] for s in (server_summary(s) for s in servers or [])
              if s['role'] == 'agent' and s['status'] == 'ACTIVE']
    ok = len(agents) == int(expected)
    detail = '%d agent servers (%d ACTIVE), agent_count is %d' % (len(agents), len(active), int(expected))
    row = {'point': 'agents', 'host': 'cloud', 'ok': ok, 'latency_ms': None, 'attempts': 1, 'checks': [],
           'failed_check': None if ok else 'count', 'reason': None if ok else 'count', 'detail': detail,
           'cause': '', 'fix': '', 'evidence': agents}
    if not ok:
        cause = 'the cloud has %d agent servers of deployment %s, agent_count is %d' % (
            len(agents), deployment or '?', int(expected))
        row.update(cause=cause, likely_cause=cause, diagnosis='agent_count',
                   fix='run playbooks/scale.yml -e agent_count=%d (or set agent_count to %d if the cloud is right)'
                       % (int(expected), len(agents)))
    return row


# -- rows ----------------------------------------------------------------------------------------


def build_rows(probes, servers=None, secgroup=None, env_mismatches=None, deployment=None, host_networks=None,
               not_active=None, agent_count=None):
    """One row per (integration point, from host), failures diagnosed; plus a security-group row, a failing row
    per server that is not ACTIVE and, when the servers were read and agent_count is given, an agent-count row.

    A failed row carries the probe's ``reason`` and the ``diagnosis`` rule that named its likely cause.
    """
    rows = []
    servers = [server_summary(s) for s in servers] if servers is not None else None
    for probe in probes:
        result = probe.get('result') or {}
        checks = result.get('checks') or []
        row = {
            'point': probe['point'],
            'host': probe['host'],
            'ok': bool(result.get('ok')) and not result.get('failed'),
            'latency_ms': result.get('elapsed_ms'),
            'attempts': result.get('attempts'),
            'checks': ['%s:%s' % (c.get('name'), 'ok' if c.get('ok') else 'FAILED') for c in checks],
            'failed_check': result.get('failed_check'),
            'reason': result.get('reason'),
            'cause': result.get('cause') or ('' if result.get('ok') else result.get('msg', 'the probe did not run')),
            'fix': result.get('fix') or '',
            # The TLS version the probe negotiated (None: no TLS, or the connection failed before the handshake).
            'tls_version': result.get('tls_version') or result.get('ssl_protocol'),
        }
        for key in ('port', 'protocol'):
            if probe.get(key):
                row[key] = probe[key]
        if row['ok']:
            row['detail'] = '; '.join(c.get('detail', '') for c in checks if c.get('detail'))
        else:
            verdict = diagnose(row, servers, secgroup, env_mismatches, deployment, host_networks)
            row.update(detail=row['cause'], likely_cause=verdict['likely_cause'], fix=verdict['fix'],
                       evidence=verdict['evidence'], diagnosis=verdict['rule'])
        rows.append(row)
    if secgroup is not None:
        blocking = [f for f in secgroup.get('findings', []) if f.get('severity') in ('critical', 'high')]
        rows.append({
            'point': 'security_groups', 'host': 'controller', 'ok': not blocking,
            'latency_ms': secgroup.get('elapsed_ms'), 'attempts': 1, 'checks': [],
            'detail': '; '.join('%s %s: %s' % (f.get('severity'), f.get('group'), f.get('detail'))
                                for f in secgroup.get('findings', [])) or 'rules match the declaration',
            'reason': None, 'diagnosis': 'security_group' if blocking else None,
            'likely_cause': blocking[0].get('detail') if blocking else '',
            'fix': fix_text(blocking[0].get('fix')) if blocking else '',
            'evidence': [],
        })
    rows.extend(not_active_rows(servers, not_active))
    if servers is not None and agent_count is not None and int(agent_count) >= 0:
        rows.append(agent_count_row(servers, agent_count, deployment))
    return rows


def summarize(rows):
    failed = [r for r in rows if not r['ok']]
    return {'total': len(rows), 'passed': len(rows) - len(failed), 'failed': len(failed), 'ok': not failed}


def failure_lines(rows):
    return ['%s from %s: %s. Fix: %s' % (r['point'], r['host'], r.get('likely_cause') or r.get('cause'), r['fix'])
            for r in rows if not r['ok']]


def tls_text(row):
    """The TLS version of a row for the renderings: 'TLSv1.3', 'no TLS' for a probe that passed in the clear,
    '-' when unknown (a failed connection, a row that is not a connection)."""
    if row.get('tls_version'):
        return row['tls_version']
    if row['ok'] and row['point'] in DEFAULT_POINTS + EXTERNAL_POINTS:
        return 'no TLS'
    return '-'


def _cell(text):
    return str(text if text is not None else '').replace('|', '\\|').replace('\n', ' ')


def run_line(run):
    """'Run <id> · deployment <d> · started <t> · finished <t>' (or 'not finished')."""
    if not run:
        return ''
    return 'Run %s · deployment %s · started %s · %s' % (
        run.get('id'), run.get('deployment') or '-', run.get('started_at'),
        ('finished %s' % run['finished_at']) if run.get('finished_at') else 'NOT FINISHED')


def render_markdown(rows, summary, title, run=None):
    lines = ['# %s' % title, '']
    if run:
        lines += [run_line(run), '']
    lines += ['%s: %d of %d integration points pass.' % ('PASS' if summary['ok'] else 'FAIL',
                                                         summary['passed'], summary['total']), '',
              '| Integration point | From host | Result | TLS | Latency | Detail |',
              '|---|---|---|---|---|---|']
    for r in rows:
        latency = '%s ms' % r['latency_ms'] if r.get('latency_ms') is not None else ''
        lines.append('| %s | %s | %s | %s | %s | %s |' % (_cell(r['point']), _cell(r['host']),
                                                          'pass' if r['ok'] else '**FAIL**', _cell(tls_text(r)),
                                                          latency, _cell(r.get('detail'))))
    failed = [r for r in rows if not r['ok']]
    if failed:
        lines += ['', '## What to fix', '']
        for r in failed:
            cause = r.get('likely_cause') or r.get('cause')
            lines.append('- **%s from %s**: %s. Fix: %s' % (r['point'], r['host'], cause, r['fix']))
            for ev in r.get('evidence') or []:
                lines.append('  - %s' % ev)
    return '\n'.join(lines) + '\n'


def render_table(rows):
    """The summary printed at the end of the play: fixed-width, one line per row."""
    out = ['%-16s %-22s %-6s %-7s %8s  %s' % ('POINT', 'FROM', 'RESULT', 'TLS', 'LATENCY', 'DETAIL')]
    for r in rows:
        latency = '%sms' % r['latency_ms'] if r.get('latency_ms') is not None else '-'
        detail = r.get('detail') if r['ok'] else (r.get('likely_cause') or r.get('cause'))
        result = 'pass' if r['ok'] else 'FAIL'
        out.append('%-16s %-22s %-6s %-7s %8s  %s' % (r['point'], r['host'], result, tls_text(r), latency,
                                                      (detail or '')[:72]))
    return out


def render_junit(rows, summary, title, elapsed_s, run=None):
    cases = []
    for r in rows:
        seconds = (r.get('latency_ms') or 0) / 1000.0
        head = '  <testcase classname=%s name=%s time="%.3f">' % (
            quoteattr('371gpt.%s' % r['point']), quoteattr('%s from %s' % (r['point'], r['host'])), seconds)
        head += '\n    <properties><property name="tls_version" value=%s/></properties>' % quoteattr(tls_text(r))
        if r['ok']:
            cases.append(head + '\n  </testcase>')
        else:
            body = 'Fix: %s\n%s' % (r['fix'], '\n'.join(r.get('evidence') or []))
            cases.append('%s\n    <failure message=%s type=%s>%s</failure>\n  </testcase>' % (
                head, quoteattr(r.get('likely_cause') or r.get('cause') or 'failed'),
                quoteattr(r.get('failed_check') or 'check'), escape(body)))
    run = run or {}
    stamp = ' timestamp=%s' % quoteattr(run['started_at'].rstrip('Z')) if run.get('started_at') else ''
    props = ''.join('    <property name=%s value=%s/>\n' % (quoteattr('run_' + k), quoteattr(str(run[k] or '')))
                    for k in ('id', 'deployment', 'started_at', 'finished_at', 'status') if k in run)
    props = '  <properties>\n%s  </properties>\n' % props if props else ''
    return ('<?xml version="1.0" encoding="UTF-8"?>\n'
            '<testsuites name=%s tests="%d" failures="%d" time="%.3f">\n'
            '<testsuite name=%s tests="%d" failures="%d" errors="0" skipped="0" time="%.3f"%s>\n%s%s\n'
            '</testsuite>\n</testsuites>\n') % (
        quoteattr(title), summary['total'], summary['failed'], elapsed_s,
        quoteattr(title), summary['total'], summary['failed'], elapsed_s, stamp, props, '\n'.join(cases))


def render_json(rows, summary, title, generated_at, run=None):
    data = {'title': title, 'generated_at': generated_at, 'summary': summary, 'rows': rows}
    if run:
        data['run'] = run
    return json.dumps(data, indent=2, sort_keys=True) + '\n'


# -- HTML ----------------------------------------------------------------------------------------

def matrix(rows):
    """(hosts, points, cells): hosts as rows, integration points as columns, one cell per (host, point).

    Points are the probe points present in ``rows`` (in PROBE_POINTS order); hosts are the hosts of probe rows,
    then servers that are not ACTIVE and were not probed (their cells fail with the server's state). A pair with
    no row at all is a cell with ``state`` 'none'. Rows of other checks (security groups, agent count, the run)
    are not in the matrix: ``deployment_rows`` lists them.
    """
    probe_rows = [r for r in rows if r['point'] in PROBE_POINTS]
    points = [p for p in PROBE_POINTS if any(r['point'] == p for r in probe_rows)] or list(PROBE_POINTS)
    hosts = []
    for r in probe_rows:
        if r['host'] not in hosts:
            hosts.append(r['host'])
    down = {r['host']: r for r in rows if r['point'] == 'server'}
    hosts += [h for h in down if h not in hosts]
    by_pair = {(r['host'], r['point']): r for r in probe_rows}
    cells = {}
    for host in hosts:
        for point in points:
            row = by_pair.get((host, point))
            if row is None and host in down:
                row = dict(down[host], point=point, likely_cause='not probed: %s' % down[host]['cause'])
            if row is None:
                cells[(host, point)] = {'state': 'none', 'text': 'not checked', 'cause': '', 'fix': ''}
            elif row['ok']:
                latency = '%s ms' % row['latency_ms'] if row.get('latency_ms') is not None else ''
                tls = ' · ' + row['tls_version'] if row.get('tls_version') else ''
                cells[(host, point)] = {'state': 'pass', 'tls': tls_text(row),
                                        'text': 'pass' + tls + (' · ' + latency if latency else ''),
                                        'cause': '', 'fix': ''}
            else:
                cells[(host, point)] = {'state': 'fail', 'text': 'FAIL', 'tls': tls_text(row),
                                        'cause': row.get('likely_cause') or row.get('cause') or 'failed',
                                        'fix': row.get('fix') or ''}
    return hosts, points, cells


def deployment_rows(rows):
    return [r for r in rows if r['point'] not in PROBE_POINTS and r['point'] != 'server']


_CSS = """
body{font:14px/1.4 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:24px;color:#1b1f23;background:#fff}
h1{font-size:20px;margin:0 0 4px}
.run{color:#444;margin:0 0 12px}
.verdict{display:inline-block;padding:4px 10px;border-radius:4px;font-weight:600;color:#fff}
.verdict.pass{background:#1a7f37}.verdict.fail{background:#cf222e}
table{border-collapse:collapse;margin:12px 0 20px}
th,td{border:1px solid #d0d7de;padding:6px 10px;vertical-align:top;text-align:left}
th{background:#f6f8fa}
th[scope=row]{white-space:nowrap}
td.cell{min-width:180px;max-width:420px}
td.pass{background:#dafbe1}
td.fail{background:#ffebe9}
td.none{background:#eaeef2;color:#57606a}
.cause{font-weight:600;margin-top:4px}
.fix{margin-top:4px;font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:12px}
.stale{background:#fff8c5;border:1px solid #d4a72c;padding:8px;margin:8px 0}
"""


def _e(text):
    return html.escape(str(text if text is not None else ''), quote=True)


def render_html(rows, summary, title, run=None):
    """A self-contained page (inline CSS, no script, no external resource): the run in the header, the
    host x point matrix (one coloured cell each, a failing cell with its cause and fix), then the other checks."""
    run = run or {}
    hosts, points, cells = matrix(rows)
    out = ['<!DOCTYPE html>', '<html lang="en"><head><meta charset="utf-8">',
           '<meta name="viewport" content="width=device-width, initial-scale=1">',
           '<title>%s</title><style>%s</style></head><body>' % (_e(title), _CSS),
           '<header><h1>%s</h1>' % _e(title),
           '<p class="run" id="run" data-run-id="%s" data-deployment="%s" data-started="%s" data-finished="%s">'
           'Run <b>%s</b> · deployment <b>%s</b> · started %s · %s</p>' % (
               _e(run.get('id')), _e(run.get('deployment')), _e(run.get('started_at')),
               _e(run.get('finished_at')), _e(run.get('id')), _e(run.get('deployment') or '-'),
               _e(run.get('started_at')),
               ('finished %s' % _e(run['finished_at'])) if run.get('finished_at') else 'NOT FINISHED'),
           '<p><span class="verdict %s" id="verdict">%s: %d of %d checks pass</span></p></header>' % (
               'pass' if summary['ok'] else 'fail', 'PASS' if summary['ok'] else 'FAIL',
               summary['passed'], summary['total'])]
    if run.get('status') == 'running':
        out.append('<p class="stale">This run has not finished: the report was written at its start and '
                   'replaced the previous one. If nothing follows, the run stopped early.</p>')
    out.append('<table id="matrix"><thead><tr><th>Host</th>%s</tr></thead><tbody>' % ''.join(
        '<th scope="col">%s</th>' % _e(p) for p in points))
    for host in hosts:
        tds = []
        for point in points:
            cell = cells[(host, point)]
            body = '<div class="result">%s</div>' % _e(cell['text'])
            if cell['state'] == 'fail':
                body += '<div class="cause">%s</div><div class="fix">Fix: %s</div>' % (
                    _e(cell['cause']), _e(cell['fix']))
            tds.append('<td class="cell %s" data-host="%s" data-point="%s" data-state="%s" data-tls="%s">%s</td>'
                       % (cell['state'], _e(host), _e(point), cell['state'], _e(cell.get('tls', '-')), body))
        out.append('<tr><th scope="row">%s</th>%s</tr>' % (_e(host), ''.join(tds)))
    out.append('</tbody></table>')
    others = deployment_rows(rows)
    if others:
        out.append('<h2>Deployment checks</h2><table id="checks"><thead><tr><th>Check</th><th>Where</th>'
                   '<th>TLS</th><th>Result</th></tr></thead><tbody>')
        for r in others:
            state = 'pass' if r['ok'] else 'fail'
            body = '<div class="result">%s</div>' % _e(r.get('detail') if r['ok'] else 'FAIL')
            if not r['ok']:
                body += '<div class="cause">%s</div><div class="fix">Fix: %s</div>' % (
                    _e(r.get('likely_cause') or r.get('cause')), _e(r.get('fix')))
            out.append('<tr><td>%s</td><td>%s</td><td class="tls">%s</td><td class="check %s" data-point="%s">%s'
                       '</td></tr>' % (_e(r['point']), _e(r['host']), _e(tls_text(r)), state, _e(r['point']), body))
        out.append('</tbody></table>')
    out.append('</body></html>')
    return '\n'.join(out) + '\n'
