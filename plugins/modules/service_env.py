#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpt371.infra maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
module: service_env
short_description: Check that the running services of a compose project hold the values of the deployed .env
version_added: 0.3.0
author: gpt371.infra maintainers (@gpt371)
description:
  - Verifies from the service's own view. For every running container of the compose project O(project) on the
    host (label C(com.docker.compose.project)), reads the environment the container was started with
    (C(docker inspect), C(Config.Env)) and compares it with the deployed C(.env) for the keys the guide wires
    (O(keys), by default C(DB_*), C(STORAGE_*) and C(XPIPE_*)).
  - A container that has no value at all for a key runs B(without) it (RV(reason=env_missing)), for example an
    agent service whose compose definition has no C(env_file:), or one created before it got one. A container
    whose value differs from what a fresh C(docker compose up) would give it runs with a B(stale) value
    (RV(reason=env_stale)), for example one started before the C(.env) changed; the message says "older than the
    .env" when the container was created before the file's last change.
  - The C(.env) is read by C(docker compose) itself, through a throw-away service with C(env_file:) (C(docker
    compose config), which starts nothing), so it is read exactly as the services read it; the
    M(gpt371.infra.dotenv) filter is a port of the same reader (C(tests/integration/test_env_parity.py) holds them
    to the same reading).
  - What a fresh C(up) would give a service is the C(.env) overlaid with the service's own C(environment:) entries,
    read with C(docker compose config) from the compose files the containers record (labels
    C(com.docker.compose.project.config_files), C(.working_dir), C(.environment_file)). When those files are gone
    or unreadable, the module warns and compares with the C(.env) alone.
  - Values never leave the module. They are compared as SHA-256 digests; results and messages carry key and
    service names only, and docker's own error text is shown with every C(.env) value masked.
  - Read-only; check mode runs the same checks.
options:
  project:
    description: The compose project name (C(name:) of the compose file, or C(-p)).
    type: str
    required: true
  project_dir:
    description:
      - The project directory on the host, where the deployed C(.env) is (the C(app_env) role's C(app_env_dir)).
      - One of O(project_dir) and O(env_file) is required.
    type: path
  env_file:
    description: The deployed C(.env). Default C(<project_dir>/.env).
    type: path
  services:
    description: Check only these services (C(com.docker.compose.service)). Default every service of the project.
    type: list
    elements: str
  keys:
    description:
      - The C(.env) keys to compare, as names or shell patterns (case-sensitive). Keys of the C(.env) that match
        none are not looked at.
    type: list
    elements: str
    default: ['DB_*', 'STORAGE_*', 'XPIPE_*']
  docker_host:
    description: The Docker engine to talk to (C(DOCKER_HOST)), for example C(unix:///run/docker.sock). Default
      the CLI's own (its context, or C(/var/run/docker.sock)).
    type: str
  host_name:
    description: The host as messages name it (the verify role passes C(inventory_hostname)). Default the host's
      own name.
    type: str
  fail_on_error:
    description: Fail the task when a service runs without a value or with a stale one. With C(false) the result
      carries RV(ok=false), RV(failures) and RV(reason) and the task succeeds (the verify role's report reads it).
      Engine, input and C(.env) errors fail either way.
    type: bool
    default: true
  timeout:
    description: Seconds each docker command may take.
    type: int
    default: 60
notes:
  - Needs the C(docker) CLI with the compose v2 plugin on the host (the M(gpt371.infra.stack) role's hosts have
    both) and no Python library beyond the standard library.
  - Runs every docker command with an environment holding only C(PATH), C(HOME) and the C(DOCKER_*) settings
    (C(env -i)), so a variable of the Ansible process cannot change how the C(.env) reads, and under coreutils'
    C(timeout) (O(timeout)).
  - Only running containers are checked; a project with none fails with RV(reason=not_found).
seealso:
  - module: gpt371.infra.integration_report
  - plugin: gpt371.infra.dotenv
    plugin_type: filter
'''

EXAMPLES = r'''
- name: The agents and the API run with the deployed .env
  gpt371.infra.service_env:
    project: gpt371
    project_dir: /opt/371gpt
    host_name: "{{ inventory_hostname }}"
  become: true

- name: Only the database settings of the agent service, for the report
  gpt371.infra.service_env:
    project: gpt371
    env_file: /opt/371gpt/.env
    services: [agent-service]
    keys: [DB_*]
    fail_on_error: false
  register: agent_env
'''

RETURN = r'''
ok:
  description: Every checked container holds every selected key with the value a fresh C(up) would give it.
  returned: always
  type: bool
reason:
  description:
    - Machine reason of the first failure class, or null when RV(ok).
    - C(env_missing) (a service runs without a key), C(env_stale) (with another value), C(engine_down) (the
      Docker engine is not running or refuses the connection), C(docker_failed) (another docker or compose
      failure, the compose plugin missing), C(not_found) (no running container of the project, or no C(.env)),
      C(env_unreadable) (compose cannot read the C(.env)), C(input) (an option is invalid; nothing was run).
  returned: always
  type: str
  sample: env_missing
msg:
  description: One line summing the result up (the failures joined), never a value.
  returned: always
  type: str
  sample: "service agent-service on app-1 runs without DB_PASSWORD (container gpt371-agent-service-1): ..."
failures:
  description: One message per service and finding (replicas with the same finding share one), naming the
    service, the host, the keys, the containers and the fix.
  returned: always
  type: list
  elements: str
  sample:
    - "service agent-service on app-1 runs without DB_PASSWORD (containers gpt371-agent-service-1,
      gpt371-agent-service-2): its compose definition does not give it the .env: add `env_file: .env` to service
      agent-service and recreate it"
    - "service api on app-1 runs with a DB_PASSWORD older than the .env (container gpt371-api-1): recreate it
      (docker compose up -d, or the stack role) so it reads the .env again"
services:
  description: One entry per running container checked.
  returned: always
  type: list
  elements: dict
  contains:
    service:
      description: The compose service.
      type: str
    container:
      description: The container name.
      type: str
    created:
      description: When the container was created (docker's C(Created)).
      type: str
    missing:
      description: Selected keys the container has no value for.
      type: list
      elements: str
    stale:
      description: Selected keys whose value differs from what a fresh C(up) would give.
      type: list
      elements: str
    ok:
      description: Neither missing nor stale keys.
      type: bool
cause:
  description: What is wrong, without the fix (the findings joined by C(; )); empty when RV(ok). With RV(fix) and
    RV(checks), the shape of the probes' results, so M(gpt371.infra.integration_report) reads the result as one
    row.
  returned: always
  type: str
  sample: "service agent-service on app-1 runs without DB_PASSWORD (container gpt371-agent-service-1)"
fix:
  description: What to do about RV(cause) (distinct fixes joined by C(; )); empty when RV(ok) or unknown.
  returned: always
  type: str
checks:
  description: One check per container checked.
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: C(service <service> (<container>)).
      type: str
    ok:
      description: The container holds every checked key with the right value.
      type: bool
    detail:
      description: C(without <keys>), C(stale <keys>), or how many keys it holds.
      type: str
checked_keys:
  description: The C(.env) keys compared (those matching O(keys)).
  returned: always
  type: list
  elements: str
  sample: [DB_HOST, DB_PASSWORD, STORAGE_BUCKET]
env_file:
  description: The C(.env) read.
  returned: always
  type: str
definition:
  description: The compose files whose C(environment:) entries were applied, or an empty list when the C(.env)
    was compared alone.
  returned: always
  type: list
  elements: str
'''

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.gpt371.infra.plugins.module_utils._service_env_check import (
    ARGUMENT_SPEC, REQUIRED_ONE_OF, result_of)


def main():
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, required_one_of=REQUIRED_ONE_OF, supports_check_mode=True)
    result, failed = result_of(module, module.params)
    if failed or (not result['ok'] and module.params['fail_on_error']):
        module.fail_json(**result)
    module.exit_json(**result)


if __name__ == '__main__':
    main()
