#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpt371.infra maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
module: integration_report
short_description: Diagnose probe results and write the 371GPT integration report (JSON, Markdown, JUnit, HTML)
version_added: 0.1.0
description:
  - Takes the results of M(gpt371.infra.pg_probe), M(gpt371.infra.s3_probe), M(gpt371.infra.xpipe_health) and
    M(gpt371.infra.service_env) from every app host, the M(gpt371.infra.secgroup_check) audit and the servers' states, and turns each failure
    into the most likely cause and its fix, the way the integration guide's "Common Integration Issues" does
    (server not ACTIVE, security group blocking the port, C(.env) credentials that differ from the provisioned
    values, missing bucket, name resolution, hosts on different networks).
  - Servers that are not ACTIVE (from O(servers) and O(not_active)) become failing rows whose fix fits the
    state (ERROR, SHUTOFF, ...). With O(servers) and O(agent_count), a row checks the number of agent servers.
  - Writes C(<dest>/<basename>.json), C(.md) (a table of integration point, from host, result, latency, detail),
    C(.xml) (JUnit, for AWX and CI) and C(.html) (a self-contained matrix of hosts and integration points, one
    coloured cell each, failing cells with cause and fix), each atomically. Every file carries the run's id, start
    and end time and the deployment.
  - O(phase=start) replaces the four files with this run's "not finished" report (one failing row) and returns
    the run id; the verify role calls it before any probe, so a run that stops early never leaves the previous
    run's report looking current. O(phase=finish) writes the run's real report.
  - Used by the C(verify) role; runs on the controller.
author:
  - gpt371.infra maintainers (@gpt371)
attributes:
  check_mode:
    description: Can run in check_mode and return changed status prediction without modifying target.
    support: full
    details: The report is written in check mode too; it describes the infrastructure and changes none of it.
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
    support: none
  idempotent:
    description: When run twice in a row, the second run reports no change.
    support: full
    details: Always C(changed=false), although the files hold the latencies of each run.
options:
  phase:
    description:
      - V(start) writes the "run not finished" report and returns RV(run); V(finish) writes the full report.
    type: str
    choices: [start, finish]
    default: finish
  run_id:
    description: Id of the run (from the V(start) phase's RV(run)); a new uuid when omitted.
    type: str
  started_at:
    description: Start time of the run (UTC, C(YYYY-MM-DDTHH:MM:SSZ)), from the V(start) phase; now when omitted.
    type: str
  error:
    description: With O(phase=start), why the run stops here (for instance the precheck's message).
    type: str
  results:
    description:
      - For each host, C(probes) (the registered result of each point's probe, by point), C(env_mismatch) (the
        C(.env) keys that differ from the provisioned values, or null when not compared), C(env_missing) (keys a
        wanted point needs that the connection values lack) with C(env_source) (where they were read, for instance
        C(/opt/371gpt/.env on core-1)) and, on agent servers, C(agent_replicas) (the C(agent-service) containers
        that must run, AGENT_COUNT; null elsewhere). An C(error) instead says why the host has no results.
      - A host with C(env_missing) fails every one of its rows, naming the keys and C(env_source).
      - Every host of O(hosts) gets a row for every point of O(points); a host or point without a result is a
        failed "did not run" row. Used together with or instead of O(probes).
    type: dict
  hosts:
    description: Hosts expected in O(results) (the play's hosts).
    type: list
    elements: str
  points:
    description:
      - Integration points expected from each host of O(results).
      - V(services) is the result of M(gpt371.infra.service_env) on the host (the running containers hold the
        C(.env)'s values); with C(agent_replicas) in a host's entry of O(results), that many C(agent-service)
        containers must run there (AGENT_COUNT), else the row fails naming the count.
    type: list
    elements: str
    choices: [database, storage, xpipe, services]
    default: [database, storage, xpipe]
  probes:
    description:
      - One entry per probe run.
      - V(api (external\)) is the public API probed from the controller at core's floating IP over TLS, the way an
        external service reaches it (M(gpt371.infra.xpipe_health) against its health URL), a row of its own with
        O(probes[].host=controller).
    type: list
    elements: dict
    default: []
    suboptions:
      point:
        description: Integration point.
        type: str
        required: true
        choices: [database, storage, xpipe, services, api (external)]
      host:
        description: Host the probe ran from.
        type: str
        required: true
      result:
        description: The registered result of the probe (run with C(fail_on_error=false)).
        type: dict
        required: true
      port:
        description:
          - The port the probe connected to, when it is not the point's usual one (5432, 8080, 443 for
            V(api (external\))); a blocked connection is joined with the security-group finding of this port.
        type: int
      protocol:
        description: The protocol of that port.
        type: str
        default: tcp
  servers:
    description:
      - Servers of the deployment as C(openstack.cloud.server_info) returns them, or reduced to C(name), C(status),
        C(networks), C(role), C(fault) (the P(gpt371.infra.server_summary#filter) filter).
      - Omitted when the cloud was not read.
    type: list
    elements: dict
  not_active:
    description: Servers found not ACTIVE by the instances role (C(name), C(status), C(fault)); each is a failing row.
    type: list
    elements: dict
    default: []
  agent_count:
    description: Number of agent servers (metadata C(gpt371_role=agent)) the deployment must have; checked against
      O(servers) when both are given. A negative value skips the check.
    type: int
  secgroup:
    description: The registered result of M(gpt371.infra.secgroup_check).
    type: dict
  env_mismatches:
    description: For each host, the names of C(.env) keys whose values differ from the provisioned values.
    type: dict
  host_networks:
    description: For each app host, the names of its networks.
    type: dict
  deployment:
    description: Deployment name, the prefix of server names.
    type: str
  dest:
    description: Directory the reports are written to (created when missing).
    type: path
    required: true
  basename:
    description: File name of the reports, without extension.
    type: str
    default: integration-report
  title:
    description: Title of the report and name of the JUnit test suite.
    type: str
    default: 371GPT integration report
  fail_on_error:
    description: Fail, after writing the reports, when an integration point fails; the message lists each cause and fix.
    type: bool
    default: true
'''

EXAMPLES = r'''
- name: Write the report from the probes of two hosts
  gpt371.infra.integration_report:
    dest: /var/lib/gpt371/reports
    probes:
      - {point: database, host: agent-server-0, result: "{{ hostvars['agent-server-0'].verify__pg }}"}
      - {point: xpipe, host: agent-server-0, result: "{{ hostvars['agent-server-0'].verify__xpipe }}"}
    servers: "{{ server_info.servers }}"

- name: Mark the previous report stale before the probes run
  gpt371.infra.integration_report:
    phase: start
    dest: /var/lib/gpt371/reports
    deployment: demo
  register: report_start

- name: Write the report from each host's results
  gpt371.infra.integration_report:
    dest: /var/lib/gpt371/reports
    deployment: demo
    run_id: "{{ report_start.run.id }}"
    started_at: "{{ report_start.run.started_at }}"
    hosts: "{{ ansible_play_hosts_all }}"
    results:
      agent-server-0:
        probes: {database: "{{ pg }}", storage: "{{ s3 }}", xpipe: "{{ xpipe }}"}
        env_mismatch: []
    not_active: [{name: demo-agent-server-1, status: ERROR, fault: No valid host was found}]
    agent_count: 3
'''

RETURN = r'''
ok:
  description: Whether every integration point passed.
  returned: always
  type: bool
  sample: false
summary:
  description: Counts of rows.
  returned: always
  type: dict
  sample: {total: 10, passed: 9, failed: 1, ok: false}
rows:
  description: One row per integration point and host (C(point), C(host), C(ok), C(latency_ms), C(tls_version), the
    TLS version negotiated or null, C(detail)), failures with C(likely_cause), C(fix) and C(evidence); a blocked
    port's row says C(security group <name> blocks tcp/<port> from <source>) with the command that adds the rule.
  returned: always
  type: list
  elements: dict
table:
  description: The summary table as lines of text, for printing at the end of the play.
  returned: always
  type: list
  elements: str
failures:
  description: One line per failed row, C(<point> from <host>, <likely cause>. Fix, <fix>).
  returned: always
  type: list
  elements: str
files:
  description: Paths of the reports written, by format.
  returned: always
  type: dict
  sample: {json: reports/integration-report.json, markdown: reports/integration-report.md,
           junit: reports/integration-report.xml, html: reports/integration-report.html}
run:
  description: The run the reports describe; C(finished_at) is null and C(status) C(running) in the start phase.
  returned: always
  type: dict
  sample: {id: 0b9f3c1e-2f5a-4b8e-9d61-5b0f3f2c7a10, started_at: '2026-12-03T12:00:00Z',
           finished_at: '2026-12-03T12:00:41Z', deployment: demo, status: finished}
'''

import os
import tempfile
import time

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_bytes
from ansible_collections.gpt371.infra.plugins.module_utils import _report as report


def write_atomically(module, path, text):
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), prefix='.%s.' % os.path.basename(path))
    with os.fdopen(fd, 'wb') as fh:
        fh.write(to_bytes(text))
    os.chmod(tmp, 0o644)
    module.atomic_move(tmp, path)


def main():
    start = time.monotonic()
    module = AnsibleModule(
        argument_spec=dict(
            phase=dict(type='str', default='finish', choices=['start', 'finish']),
            run_id=dict(type='str'),
            started_at=dict(type='str'),
            error=dict(type='str'),
            results=dict(type='dict'),
            hosts=dict(type='list', elements='str'),
            points=dict(type='list', elements='str', default=list(report.DEFAULT_POINTS),
                        choices=list(report.PROBE_POINTS)),
            probes=dict(type='list', elements='dict', default=[], options=dict(
                point=dict(type='str', required=True,
                           choices=list(report.PROBE_POINTS) + list(report.EXTERNAL_POINTS)),
                host=dict(type='str', required=True),
                result=dict(type='dict', required=True),
                port=dict(type='int'),
                protocol=dict(type='str', default='tcp'),
            )),
            servers=dict(type='list', elements='dict'),
            not_active=dict(type='list', elements='dict', default=[]),
            agent_count=dict(type='int'),
            secgroup=dict(type='dict'),
            env_mismatches=dict(type='dict'),
            host_networks=dict(type='dict'),
            deployment=dict(type='str'),
            dest=dict(type='path', required=True),
            basename=dict(type='str', default='integration-report'),
            title=dict(type='str', default='371GPT integration report'),
            fail_on_error=dict(type='bool', default=True),
        ),
        supports_check_mode=True,
    )
    p = module.params
    run = report.new_run(p['deployment'], p['run_id'], p['started_at'])
    if p['phase'] == 'start':
        rows = report.unfinished_rows(run, p['error'])
    else:
        probes, mismatches = report.probes_from_results(p['results'], p['hosts'], p['points'])
        env_mismatches = p['env_mismatches'] if p['env_mismatches'] is not None else mismatches
        rows = report.build_rows(p['probes'] + probes, p['servers'], p['secgroup'], env_mismatches,
                                 p['deployment'], p['host_networks'], p['not_active'], p['agent_count'])
        run.update(finished_at=report.utc_now(), status='finished')
    summary = report.summarize(rows)
    try:
        os.makedirs(p['dest'], exist_ok=True)
    except OSError as exc:
        module.fail_json(msg='dest: cannot create the report directory %s (%s); set verify_report_dir to a '
                             'writable directory on the controller' % (p['dest'], exc.strerror), run=run)
    base = os.path.join(p['dest'], p['basename'])
    files = {'json': base + '.json', 'markdown': base + '.md', 'junit': base + '.xml', 'html': base + '.html'}
    generated = report.utc_now()
    write_atomically(module, files['json'], report.render_json(rows, summary, p['title'], generated, run))
    write_atomically(module, files['markdown'], report.render_markdown(rows, summary, p['title'], run))
    write_atomically(module, files['junit'], report.render_junit(rows, summary, p['title'],
                                                                 time.monotonic() - start, run))
    write_atomically(module, files['html'], report.render_html(rows, summary, p['title'], run))
    result = dict(changed=False, ok=summary['ok'], summary=summary, rows=rows, table=report.render_table(rows),
                  failures=report.failure_lines(rows), files=files, run=run)
    if p['phase'] == 'finish' and not summary['ok'] and p['fail_on_error']:
        module.fail_json(msg='%d of %d integration points fail: %s' % (
            summary['failed'], summary['total'], ' | '.join(result['failures'])), **result)
    module.exit_json(**result)


if __name__ == '__main__':
    main()
