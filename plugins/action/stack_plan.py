# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpt371.infra maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin of gpt371.infra.stack_plan (documented in plugins/modules/stack_plan.py).

Runs on the controller: checksums the wanted files, reads the controller's image ids when images are shipped, and
reads the host in one round trip (the probe script, through the connection like ansible.builtin.raw: no module, no
Python on the host). The decisions are the pure functions of module_utils/_stack_plan.py.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import subprocess

from ansible.plugins.action import ActionBase
from ansible.utils.display import Display

from ansible_collections.gpt371.infra.plugins.module_utils import _stack_plan as sp

display = Display()

ARGUMENT_SPEC = dict(
    compose_files=dict(type='list', elements='str', required=True),
    docker_host=dict(type='str'),
    env_checksum=dict(type='str'),
    env_file=dict(type='str', default='.env'),
    extra_files=dict(type='list', elements='str', default=[]),
    images=dict(type='list', elements='str', default=[]),
    on_difference=dict(type='str', choices=['fail', 'ignore', 'warn'], default='ignore'),
    project_dir=dict(type='str', required=True),
    project_name=dict(type='str', required=True),
    pull=dict(type='str', choices=['always', 'missing', 'never', 'policy'], default='missing'),
    read_host=dict(type='bool', default=True),
    ship_images=dict(type='bool', default=False),
    source_dir=dict(type='path', default='.'),
    wait_timeout=dict(type='int', default=120),
)


def controller_images():
    """({name:tag: id}, error) of the controller's engine (the environment's DOCKER_HOST, if any)."""
    argv = ['docker', 'images', '--no-trunc', '--format', sp.FMT_IMAGES]
    try:
        run = subprocess.run(argv, capture_output=True, text=True, timeout=120, check=False)
    except OSError as exc:
        return {}, sp.docker_error('docker images', 127, [str(exc)], 'the controller', kind='controller')
    except subprocess.TimeoutExpired:
        return {}, 'docker images did not answer within 120 s on the controller'
    if run.returncode:
        lines = (run.stderr + run.stdout).splitlines()
        return {}, sp.docker_error('docker images', run.returncode, lines, 'the controller', kind='controller')
    return sp.parse_images(run.stdout), None


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _supports_check_mode = True  # read-only: runs in check mode too and reports what would change

    def run(self, tmp=None, task_vars=None):
        task_vars = task_vars or {}
        result = super(ActionModule, self).run(tmp, task_vars)
        del tmp
        dummy, params = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC)
        host = task_vars.get('inventory_hostname', 'the host')
        name = params['project_name']

        compose_names = [sp.basename(f) for f in params['compose_files']]
        extra_names = [sp.basename(f) for f in params['extra_files']]
        sources = sp.sources(params['source_dir'], params['compose_files'], params['extra_files'])
        sums = dict((base, sp.sha256_file(path)) for base, path in sources.items())
        errors = sp.check_variables(name, params['compose_files'], params['wait_timeout'], params['ship_images'],
                                    params['images'], [sources[b] for b in sources if sums[b] is None])
        images, ctl_images = None, {}
        if params['ship_images']:
            images = params['images']
            ctl_images, error = controller_images()
            errors += [error] if error else []

        have = None
        warnings = []
        if params['read_host']:
            command = sp.probe_command(params['project_dir'], compose_names + extra_names + [params['env_file']], name,
                                       docker_host=params['docker_host'], read_images=params['ship_images'])
            probe = self._low_level_execute_command(command)
            display.vvv('stack_plan probe (rc %s):\n%s%s' % (probe['rc'], probe['stdout'], probe.get('stderr', '')),
                        host=host)
            have = sp.parse_probe(probe['stdout'])
            errors += sp.probe_errors(have, host, params['project_dir'], probe['rc'], probe.get('stderr', ''))
            if have['other'] and not errors:
                warnings.append('the probe on %s printed lines it does not know: %s' % (host, ' / '.join(have['other'])))
            if have['manifest_error']:
                warnings.append('%s/%s/manifest.json on %s is %s: deploying again'
                                % (params['project_dir'], sp.RECORD_DIR, host, have['manifest_error']))

        todo = sp.plan(have, name, compose_names, extra_names, params['env_file'], sums,
                       env_checksum=params['env_checksum'], images=images, controller_images=ctl_images,
                       pull=params['pull'], env_path='%s/%s' % (params['project_dir'], params['env_file']))
        errors = sp.unique(errors + todo['errors'])
        result.update(todo)
        result.update(
            changed=False, errors=errors, dir=bool(have and have['deployed_dir']), sources=sources,
            compose_files=compose_names, containers=have['containers'] if have else [],
            compose_argv=sp.compose_argv(name, params['project_dir'], compose_names, params['env_file']),
            record_command=sp.record_command(compose_names + extra_names + [params['env_file']], name,
                                             docker_host=params['docker_host']),
            msg=('to do: ' + '; '.join(todo['reasons'])) if todo['reasons'] else 'nothing to do')
        if errors:
            result.update(failed=True, msg='stack %s on %s: %s' % (name, host, '; '.join(errors)))
        elif todo['reasons'] and params['on_difference'] == 'fail':
            result.update(failed=True, msg='stack %s on %s differs from the wanted definition: %s'
                          % (name, host, '; '.join(todo['reasons'])))
        elif todo['reasons'] and params['on_difference'] == 'warn':
            warnings.append('stack %s on %s differs from the wanted definition: %s'
                            % (name, host, '; '.join(todo['reasons'])))
        if warnings:
            result['warnings'] = warnings
        return result
