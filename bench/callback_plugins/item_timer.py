# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Benchmark helper: wall time of every loop item, per task, written as JSON to $ITEM_TIMER_OUT.

Items of one task on one host run one after the other, so the time between two item
results is one item's execution (module transfer + run + result).
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = '''
name: item_timer
type: aggregate
short_description: time each loop item (benchmarks only)
description: Writes {task name -> [seconds per item]} to the file named by ITEM_TIMER_OUT.
'''

import json
import os
import time

from ansible.plugins.callback import CallbackBase


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = 'aggregate'
    CALLBACK_NAME = 'item_timer'
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self):
        super(CallbackModule, self).__init__()
        self.times = {}
        self.task = None
        self.last = None

    def v2_playbook_on_task_start(self, task, is_conditional):
        self.task = task.get_name()
        self.times.setdefault(self.task, [])
        self.last = time.monotonic()

    def _item_done(self, result):
        now = time.monotonic()
        self.times[self.task].append(now - self.last)
        self.last = now

    v2_runner_item_on_ok = _item_done
    v2_runner_item_on_failed = _item_done

    def v2_playbook_on_stats(self, stats):
        with open(os.environ['ITEM_TIMER_OUT'], 'w') as fh:
            json.dump(self.times, fh)
