# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpt371.infra maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
name: plan
type: aggregate
short_description: A terraform-plan-like summary at the end of a --check run
version_added: 0.2.0
author:
  - gpt371.infra maintainers (@gpt371)
description:
  - In check mode, counts every task result that would change something as an addition, a change or a deletion,
    and prints, after the play recap, one line per such task and host and then
    C(Plan - N to add, M to change, K to destroy.) (with a colon). Outside check mode it prints nothing.
  - Additions and changes are told apart by the diff; run with C(--check --diff) for the exact split.
  - A result counts as a deletion when the task asks for C(state=absent); as an addition when its diff has nothing
    before it or the module found no existing resource; otherwise as a change.
  - Enable it with C(callbacks_enabled = gpt371.infra.plan) in C(ansible.cfg) (the collection's own does).
requirements:
  - enabled in configuration (C(callbacks_enabled))
'''

from ansible import context
from ansible.plugins.callback import CallbackBase

from ansible_collections.gpt371.infra.plugins.module_utils import _plan_summary

MARKS = {_plan_summary.ADD: '+', _plan_summary.CHANGE: '~', _plan_summary.DESTROY: '-'}


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = 'aggregate'
    CALLBACK_NAME = 'gpt371.infra.plan'
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self):
        super(CallbackModule, self).__init__()
        self._lines = []
        self._counts = {}

    def _check_mode(self, result):
        task = result._task
        if getattr(task, 'check_mode', None) is True:
            return True
        return bool((context.CLIARGS or {}).get('check')) and getattr(task, 'check_mode', None) is not False

    def _record(self, result, item=None):
        if not result._result.get('changed') or not self._check_mode(result):
            return
        kind = _plan_summary.classify(result._task.args, result._result)
        self._counts[kind] = self._counts.get(kind, 0) + 1
        label = result._task.get_name()
        if item is not None:
            label += ' (%s)' % item
        self._lines.append('%s %s: %s' % (MARKS[kind], result._host.get_name(), label))

    def v2_runner_on_ok(self, result):
        if 'results' in result._result:  # a loop: its items were counted one by one
            return
        self._record(result)

    def v2_runner_item_on_ok(self, result):
        item = result._result.get('_ansible_item_label', result._result.get('item'))
        self._record(result, item if isinstance(item, (str, int)) else None)

    def v2_playbook_on_stats(self, stats):
        if not bool((context.CLIARGS or {}).get('check')):
            return
        self._display.banner('PLAN (--check: nothing was changed)')
        for line in self._lines:
            self._display.display(line)
        self._display.display(_plan_summary.summary(self._counts))
