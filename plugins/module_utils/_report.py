# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpt371.infra maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
#
# PRIVATE to gpt371.infra: may change without notice; do not import from other collections.
"""The integration report: rows from probe results, rendered as JSON, Markdown and JUnit XML."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
from xml.sax.saxutils import escape, quoteattr

from ansible_collections.gpt371.infra.plugins.module_utils._diagnose import diagnose, fix_text


def build_rows(probes, servers=None, secgroup=None, env_mismatches=None, deployment=None, host_networks=None):
    """One row per (integration point, from host), failures diagnosed; plus a security-group row.

    A failed row carries the probe's ``reason`` and the ``diagnosis`` rule that named its likely cause.
    """
    rows = []
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
        }
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
    return rows


def summarize(rows):
    failed = [r for r in rows if not r['ok']]
    return {'total': len(rows), 'passed': len(rows) - len(failed), 'failed': len(failed), 'ok': not failed}


def failure_lines(rows):
    return ['%s from %s: %s. Fix: %s' % (r['point'], r['host'], r.get('likely_cause') or r.get('cause'), r['fix'])
            for r in rows if not r['ok']]


def _cell(text):
    return str(text if text is not None else '').replace('|', '\\|').replace('\n', ' ')


def render_markdown(rows, summary, title):
    lines = ['# %s' % title, '',
             '%s: %d of %d integration points pass.' % ('PASS' if summary['ok'] else 'FAIL',
                                                        summary['passed'], summary['total']), '',
             '| Integration point | From host | Result | Latency | Detail |',
             '|---|---|---|---|---|']
    for r in rows:
        latency = '%s ms' % r['latency_ms'] if r.get('latency_ms') is not None else ''
        lines.append('| %s | %s | %s | %s | %s |' % (_cell(r['point']), _cell(r['host']),
                                                     'pass' if r['ok'] else '**FAIL**', latency,
                                                     _cell(r.get('detail'))))
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
    out = ['%-16s %-22s %-6s %8s  %s' % ('POINT', 'FROM', 'RESULT', 'LATENCY', 'DETAIL')]
    for r in rows:
        latency = '%sms' % r['latency_ms'] if r.get('latency_ms') is not None else '-'
        detail = r.get('detail') if r['ok'] else (r.get('likely_cause') or r.get('cause'))
        result = 'pass' if r['ok'] else 'FAIL'
        out.append('%-16s %-22s %-6s %8s  %s' % (r['point'], r['host'], result, latency, (detail or '')[:72]))
    return out


def render_junit(rows, summary, title, elapsed_s):
    cases = []
    for r in rows:
        seconds = (r.get('latency_ms') or 0) / 1000.0
        head = '  <testcase classname=%s name=%s time="%.3f">' % (
            quoteattr('371gpt.%s' % r['point']), quoteattr('%s from %s' % (r['point'], r['host'])), seconds)
        if r['ok']:
            cases.append(head + '</testcase>')
        else:
            body = 'Fix: %s\n%s' % (r['fix'], '\n'.join(r.get('evidence') or []))
            cases.append('%s\n    <failure message=%s type=%s>%s</failure>\n  </testcase>' % (
                head, quoteattr(r.get('likely_cause') or r.get('cause') or 'failed'),
                quoteattr(r.get('failed_check') or 'check'), escape(body)))
    return ('<?xml version="1.0" encoding="UTF-8"?>\n'
            '<testsuites name=%s tests="%d" failures="%d" time="%.3f">\n'
            '<testsuite name=%s tests="%d" failures="%d" errors="0" skipped="0" time="%.3f">\n%s\n'
            '</testsuite>\n</testsuites>\n') % (
        quoteattr(title), summary['total'], summary['failed'], elapsed_s,
        quoteattr(title), summary['total'], summary['failed'], elapsed_s, '\n'.join(cases))


def render_json(rows, summary, title, generated_at):
    return json.dumps({'title': title, 'generated_at': generated_at, 'summary': summary, 'rows': rows},
                      indent=2, sort_keys=True) + '\n'
