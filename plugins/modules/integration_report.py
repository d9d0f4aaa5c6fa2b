#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpt371.infra maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
module: integration_report
short_description: Diagnose probe results and write the 371GPT integration report (JSON, Markdown, JUnit)
version_added: 0.1.0
description:
  - Takes the results of M(gpt371.infra.pg_probe), M(gpt371.infra.s3_probe) and M(gpt371.infra.xpipe_health)
    from every app host, the M(gpt371.infra.secgroup_check) audit and the servers' states, and turns each failure
    into the most likely cause and its fix, the way the integration guide's "Common Integration Issues" does
    (server not ACTIVE, security group blocking the port, C(.env) credentials that differ from the provisioned
    values, missing bucket, name resolution, hosts on different networks).
  - Writes C(<dest>/<basename>.json), C(.md) (a table of integration point, from host, result, latency, detail)
    and C(.xml) (JUnit, for AWX and CI), each atomically.
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
  probes:
    description: One entry per probe run.
    type: list
    elements: dict
    required: true
    suboptions:
      point:
        description: Integration point.
        type: str
        required: true
        choices: [database, storage, xpipe]
      host:
        description: Host the probe ran from.
        type: str
        required: true
      result:
        description: The registered result of the probe (run with C(fail_on_error=false)).
        type: dict
        required: true
  servers:
    description: Servers of the deployment (C(name), C(status), C(networks)), for instance from C(openstack.cloud.server_info).
    type: list
    elements: dict
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
    dest: "{{ playbook_dir }}/../reports"
    probes:
      - {point: database, host: agent-server-0, result: "{{ hostvars['agent-server-0'].verify__pg }}"}
      - {point: xpipe, host: agent-server-0, result: "{{ hostvars['agent-server-0'].verify__xpipe }}"}
    servers: "{{ servers.servers | map(attribute='name') | list }}"
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
  description: One row per integration point and host (C(point), C(host), C(ok), C(latency_ms), C(detail)), failures with
    C(likely_cause), C(fix) and C(evidence).
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
           junit: reports/integration-report.xml}
'''

import datetime
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
            probes=dict(type='list', elements='dict', required=True, options=dict(
                point=dict(type='str', required=True, choices=['database', 'storage', 'xpipe']),
                host=dict(type='str', required=True),
                result=dict(type='dict', required=True),
            )),
            servers=dict(type='list', elements='dict'),
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
    rows = report.build_rows(p['probes'], p['servers'], p['secgroup'], p['env_mismatches'], p['deployment'],
                             p['host_networks'])
    summary = report.summarize(rows)
    generated = datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%dT%H:%M:%SZ')
    os.makedirs(p['dest'], exist_ok=True)
    base = os.path.join(p['dest'], p['basename'])
    files = {'json': base + '.json', 'markdown': base + '.md', 'junit': base + '.xml'}
    write_atomically(module, files['json'], report.render_json(rows, summary, p['title'], generated))
    write_atomically(module, files['markdown'], report.render_markdown(rows, summary, p['title']))
    write_atomically(module, files['junit'], report.render_junit(rows, summary, p['title'],
                                                                 time.monotonic() - start))
    result = dict(changed=False, ok=summary['ok'], summary=summary, rows=rows, table=report.render_table(rows),
                  failures=report.failure_lines(rows), files=files)
    if not summary['ok'] and p['fail_on_error']:
        module.fail_json(msg='%d of %d integration points fail: %s' % (
            summary['failed'], summary['total'], ' | '.join(result['failures'])), **result)
    module.exit_json(**result)


if __name__ == '__main__':
    main()
