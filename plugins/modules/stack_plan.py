#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpt371.infra maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

# The documentation of the stack_plan action plugin (plugins/action/stack_plan.py): no code runs on the host.

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
module: stack_plan
short_description: Compare a compose project on a host with its wanted definition (the stack role's plan)
version_added: 0.1.0
author: gpt371.infra maintainers (@gpt371)
description:
  - Reads, in one round trip and without Python on the host (like M(ansible.builtin.raw)), what the host has of a
    compose project; the checksums of its files, the record of its last healthy deployment (C(<project_dir>/.deployed),
    a manifest with the checksums and the containers compose made), its live containers (service, config hash, image,
    state, health) and, when images are shipped, the host's image ids.
  - On the controller it checksums the wanted compose and extra files, reads the controller's image ids when images are
    shipped, and compares. RV(reasons) says why the project must be deployed (empty when nothing is to do); RV(files)
    and RV(images) say what to copy and ship.
  - Docker's own error messages are kept. When the host's engine is down, RV(errors) says that the Docker engine on
    the host is not running, names its socket and says to start it or run C(configure.yml); when the Docker CLI is
    missing or the socket refuses the user, it says so with the fix.
  - Fails when RV(errors) is not empty (a wrong variable, a file or an image missing on the controller, the env file
    missing on the host, a command of the probe that failed), and with O(on_difference=fail) when RV(reasons) is not.
  - This is the decision of the C(gpt371.infra.stack) role's C(deploy) and C(check) actions; the role wires its
    variables to these options.
options:
  compose_files:
    description:
      - Compose files merged in order, relative to O(source_dir) unless absolute; the project uses them by basename.
    type: list
    elements: str
    required: true
  docker_host:
    description:
      - C(DOCKER_HOST) for the docker commands of the probe (e.g. V(ssh://root@10.0.0.5:22) when compose runs on the
        controller against the host's engine). Omitted, the engine of the host the task runs on.
    type: str
  env_checksum:
    description:
      - The sha256 (hex) of the env file the caller will write. Omitted, the env file is written by someone else
        (the app_env role), so it must be on the host, and its checksum there is the wanted one.
    type: str
  env_file:
    description: Name of the env file in O(project_dir) (compose interpolation and the services' env_file).
    type: str
    default: .env
  extra_files:
    description: Other files of the project (relative to O(source_dir) unless absolute), used by basename.
    type: list
    elements: str
    default: []
  images:
    description: Images (name:tag) shipped from the controller when O(ship_images) is set.
    type: list
    elements: str
    default: []
  on_difference:
    description:
      - What to do when the project differs from the wanted definition (RV(reasons) not empty).
      - V(ignore) returns the plan (the caller applies it); V(warn) adds a warning; V(fail) fails the task.
    type: str
    choices: [fail, ignore, warn]
    default: ignore
  project_dir:
    description: The project directory where compose runs (on the host, or on the controller with O(docker_host)).
    type: str
    required: true
  project_name:
    description: Compose project name (lowercase letters, digits, V(-) and V(_)).
    type: str
    required: true
  pull:
    description: The pull policy of C(compose up); V(always) always gives a reason to deploy.
    type: str
    choices: [always, missing, never, policy]
    default: missing
  read_host:
    description:
      - V(false) checks the options and the controller's files and images only, without reading the host
        (the role's C(precheck)); nothing is planned.
    type: bool
    default: true
  ship_images:
    description: Compare the ids of O(images) on the host with the controller's; those that differ are to ship.
    type: bool
    default: false
  source_dir:
    description: Controller directory of the compose and extra files.
    type: path
    default: .
  wait_timeout:
    description: Seconds the caller waits for health after C(up); checked here (> 0) with the other options.
    type: int
    default: 120
attributes:
  action:
    description: Runs on the controller as an action plugin; the host needs only a POSIX shell and the Docker CLI.
    support: full
  check_mode:
    description: Can run in check mode and return the same result without modifying the target.
    support: full
    details: It only reads; in check mode it runs the same way and reports what would change.
  diff_mode:
    description: Will return details on what has changed.
    support: none
  idempotent:
    description: Running it twice gives the same result and changes nothing.
    support: full
notes:
  - Always returns C(changed=false).
  - The probe's output is shown with C(-vvv).
  - RV(record_command) and RV(manifest) write the record the next run compares against; the format is private to the
    collection.
seealso:
  - module: community.docker.docker_compose_v2
'''

EXAMPLES = r'''
- name: Plan the reference stack
  gpt371.infra.stack_plan:
    project_name: gpt371-ref
    project_dir: /opt/gpt371/stacks/gpt371-ref
    source_dir: "{{ playbook_dir }}/../examples/reference-stack"
    compose_files: [compose.yml]
    env_checksum: "{{ env_content | hash('sha256') }}"
    ship_images: true
    images: [gpt371-ref-xpipe:0.1, gpt371-ref-api:0.1, gpt371-ref-agent:0.1]

- name: Audit a project whose .env app_env writes; fail when it differs
  gpt371.infra.stack_plan:
    project_name: gpt371-ref
    project_dir: /opt/371gpt
    source_dir: /srv/stack
    compose_files: [compose.yml]
    on_difference: fail
'''

RETURN = r'''
reasons:
  description: Why the project must be deployed, in words; empty when the host has the wanted definition, healthy.
  returned: always
  type: list
  elements: str
  sample: ["files differ: .env", "no healthy deployment of this definition recorded"]
errors:
  description: What prevents a deployment (the task fails when not empty).
  returned: always
  type: list
  elements: str
  sample: ["the Docker engine on node1 is not running (socket unix:///var/run/docker.sock): start it, or run configure.yml"]
files:
  description: Basenames of the compose and extra files whose checksum on the host differs, then the env file when
    O(env_checksum) differs from it.
  returned: always
  type: list
  elements: str
  sample: [compose.yml, .env]
images:
  description: Images of O(images) whose id on the host differs from the controller's (to ship).
  returned: always
  type: list
  elements: str
  sample: [gpt371-ref-api:0.1]
unhealthy:
  description: Services with a container that is not running, unhealthy or still starting.
  returned: always
  type: list
  elements: str
  sample: [xpipe]
containers:
  description: The project's live containers.
  returned: always
  type: list
  elements: dict
  sample: [{service: xpipe, config_hash: "3f0c...", image: "gpt371-ref-xpipe:0.1", name: gpt371-ref-xpipe-1,
            state: running, status: "Up 2 minutes (healthy)", health: healthy}]
dir:
  description: Whether C(<project_dir>/.deployed) exists on the host.
  returned: always
  type: bool
  sample: true
sums:
  description: The sha256 of each file of the wanted definition (compose, extra and env files).
  returned: always
  type: dict
  sample: {compose.yml: "9b1e...", .env: "07aa..."}
sources:
  description: Controller path of each compose and extra file, by basename.
  returned: always
  type: dict
  sample: {compose.yml: /srv/stack/compose.yml}
compose_files:
  description: Basenames of O(compose_files), in order.
  returned: always
  type: list
  elements: str
  sample: [compose.yml]
compose_argv:
  description: C(docker compose) with the project's name, directory, env file and compose files; add a subcommand.
  returned: always
  type: list
  elements: str
  sample: [docker, compose, --project-name, gpt371-ref, --project-directory, /opt/gpt371/stacks/gpt371-ref,
           --env-file, /opt/gpt371/stacks/gpt371-ref/.env, --file=/opt/gpt371/stacks/gpt371-ref/compose.yml]
manifest:
  description: The manifest to record after a healthy C(up) (feed it as JSON to RV(record_command)).
  returned: always
  type: dict
  sample: {files: [compose.yml], extra: [], env_file: .env, sums: {compose.yml: "9b1e..."}, project: gpt371-ref}
record_command:
  description: Shell command, run in O(project_dir) with RV(manifest) as JSON on stdin, that records the definition and
    the containers compose made in C(.deployed/).
  returned: always
  type: str
msg:
  description: C(nothing to do), C(to do:) and the reasons, or why the task failed.
  returned: always
  type: str
  sample: "to do: files differ: .env"
'''
