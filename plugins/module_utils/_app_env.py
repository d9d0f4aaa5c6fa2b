# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpt371.infra maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""PRIVATE to gpt371.infra: the decisions of the app_env role (values, checks, rendering, masked diff).

Pure functions, no Ansible import: the filters in plugins/filter/app_env.py wrap them and
tests/unit/plugins/module_utils/test_app_env.py tests them. Messages name keys and variables, never values.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import re

# How a value is written (the role README's "How values are written" says why). The first form that fits wins:
#   bare            only [A-Za-z0-9_./:@%+,=-]                                  KEY=value
#   single-quoted   no single quote and no backslash: literal for every reader  KEY='va lue #1 $x'
#   double-quoted   no $ that compose would expand; \ and " escaped             KEY="it's a \\ \""
#   single-quoted   a quote written \', a backslash kept as it is                KEY='it\'s $HOME'
# A value none of them fits (both DOLLAR_RE and UNQUOTABLE_RE match it) is refused.
PLAIN_RE = re.compile(r'^[A-Za-z0-9_./:@%+,=-]*\Z')
LITERAL_RE = re.compile(r"^[^'\\]*\Z")
# A $ compose reads as the start of an interpolation: $$, ${, $NAME (Go's case folding adds U+017F and U+212A).
DOLLAR_RE = re.compile(u'\\$[$_{A-Za-z\u017f\u212a]')
# A backslash single quotes cannot carry alike: doubled (compose keeps \\, python-dotenv reads \), before a
# single quote, or last.
UNQUOTABLE_RE = re.compile(r"\\([\\']|\Z)")
# A line break (newline or carriage return): refused.
LINE_BREAK_RE = re.compile(r'[\r\n]')
HEADER = '# Managed by Ansible (gpt371.infra.app_env); local edits are overwritten.'


def _text(value):
    """A value as the .env carries it (None, numbers and booleans as Jinja's `string` filter writes them)."""
    if value is None:
        return ''
    return value if isinstance(value, str) else str(value)


def output_value(outputs, name):
    """The value of output `name` from a `terraform output -json` map ({"value": ...}) or a flat map; '' if absent."""
    found = (outputs or {}).get(name, '') if name else ''
    if isinstance(found, dict) and 'value' in found:
        found = found['value']
    return _text(found)


def compose_values(given, extra=None, outputs=None, output_keys=None, inventory=None):
    """The .env values in order: the guide's keys (`given`: key -> variable value), then `extra`.

    A non-empty given value wins; an empty one takes the inventory's value for its key (the cloud's answer, see
    inventory_values), else the output that output_keys names for its key (the optional outputs export)."""
    output_keys = output_keys or {}
    inventory = inventory or {}
    values = {}
    for key, value in list((given or {}).items()) + list((extra or {}).items()):
        value = _text(value)
        values[key] = value or _text(inventory.get(key, '')) or output_value(outputs, output_keys.get(key, ''))
    return values


def inventory_values(inventory_keys, groups, hostvars):
    """key -> private address of the first host (by name) of the group inventory_keys names for it.

    The hosts come from the cloud (the instances role's add_host or the gpt371.infra.deployment inventory), so
    a run needs no file from an earlier one. The private address is gpt371_private_v4, else ansible_host.
    """
    found = {}
    for key, group in (inventory_keys or {}).items():
        hosts = sorted((groups or {}).get(group) or [])
        if not hosts:
            continue
        host = hostvars[hosts[0]]
        for name in ('gpt371_private_v4', 'ansible_host'):
            try:
                value = host[name]
            except KeyError:
                continue
            if value:
                found[key] = _text(value)
                break
    return found


def errors(values, required, key_vars, output_keys=None):
    """Messages, one per problem kind, for values the role must not write; [] when all is well.

    required: keys that must be non-empty; key_vars: key -> the variable that sets it (for the message)."""
    output_keys = output_keys or {}
    found = []
    missing = [k for k in required if not values.get(k)]
    if missing:
        parts = []
        for key in missing:
            where = key_vars.get(key, 'app_env_extra')
            if key in output_keys:
                where += ', or output %s in app_env_outputs_file' % output_keys[key]
            parts.append('%s (variable %s)' % (key, where))
        found.append('app_env: no value for %s. Nothing was written.' % ', '.join(parts))
    breaks = [k for k, v in values.items() if LINE_BREAK_RE.search(v)]
    if breaks:
        found.append('app_env: the value of %s holds a line break (newline or carriage return), which a .env line '
                     'cannot carry for docker compose and python-dotenv alike. Remove it (store a multi-line value '
                     'such as a PEM key base64-encoded). Nothing was written.' % ', '.join(breaks))
    unquotable = [k for k, v in values.items() if DOLLAR_RE.search(v) and UNQUOTABLE_RE.search(v)]
    if unquotable:
        found.append('app_env: the value of %s cannot be written so that docker compose and python-dotenv read it '
                     'alike: it holds a $ that compose would expand ($NAME, ${, $$) together with a backslash that '
                     'is doubled, last, or before a single quote. Change one of the two (no letter, _, { or $ right '
                     'after a $, or no such backslash). Nothing was written.' % ', '.join(unquotable))
    return found


def line(key, value):
    """One KEY=value line, quoted in the first form of the module comment that fits."""
    if PLAIN_RE.match(value):
        return '%s=%s' % (key, value)
    if LITERAL_RE.match(value):
        return "%s='%s'" % (key, value)
    if not DOLLAR_RE.search(value):
        return '%s="%s"' % (key, value.replace('\\', '\\\\').replace('"', '\\"'))
    return "%s='%s'" % (key, value.replace("'", "\\'"))


def render(values, header=HEADER):
    """The whole .env text: the header, then one line per key, newline-terminated."""
    return ''.join(text + '\n' for text in [header] + [line(k, v) for k, v in values.items()])


def read_outputs(path):
    """(outputs, problem) of the provisioning outputs file on the controller: ({}, None) for no path, and a
    message naming the variable (never a value) when the file is missing or is not a JSON object."""
    if not path:
        return {}, None
    try:
        with open(path, encoding='utf-8') as handle:
            outputs = json.load(handle)
    except (OSError, UnicodeDecodeError):
        return {}, 'app_env_outputs_file: %s is not a file on the controller' % path
    except ValueError as exc:  # JSONDecodeError: its message says where, not what
        return {}, 'app_env_outputs_file: %s is not JSON (%s)' % (path, getattr(exc, 'msg', 'unreadable'))
    if not isinstance(outputs, dict):
        return {}, ('app_env_outputs_file: %s is not an outputs export (a JSON object of outputs, as'
                    ' terraform output -json writes)' % path)
    return outputs, None


def plan(given, extra=None, outputs_file=None, output_keys=None, inventory=None, required=(), key_vars=None):
    """The .env of one host in one step: {values, errors, content}. ``content`` is the text to write, '' when
    ``errors`` (the outputs file's problem, or errors()'s messages) says it must not be written."""
    outputs, problem = read_outputs(outputs_file)
    if problem:
        return {'values': {}, 'errors': [problem], 'content': ''}
    values = compose_values(given, extra, outputs, output_keys, inventory)
    found = errors(values, required, key_vars or {}, output_keys)
    return {'values': values, 'errors': found, 'content': '' if found else render(values)}


def mask(text, secret_keys, old_text=None):
    """The lines of a .env with secret values replaced: `KEY=<secret>`, or `KEY=<secret, changed>` when old_text is
    given and lacks that very line. Other lines are kept as they are."""
    old_lines = set(old_text.splitlines()) if old_text is not None else None
    out = []
    for text in text.splitlines():
        key = text.split('=', 1)[0]
        if '=' in text and key in secret_keys:
            changed = old_lines is not None and text not in old_lines
            text = '%s=<secret%s>' % (key, ', changed' if changed else '')
        out.append(text + '\n')
    return ''.join(out)


def drift(wanted, have, secret_keys):
    """Keys whose line differs between the wanted and the live .env text (have None: no file): added, changed,
    removed lists of key names (values never returned)."""
    def parse(text):
        return dict(t.split('=', 1) for t in (text or '').splitlines() if '=' in t and not t.startswith('#'))
    want, got = parse(wanted), parse(have)
    return {'added': [k for k in want if k not in got],
            'changed': [k for k in want if k in got and want[k] != got[k]],
            'removed': [k for k in got if k not in want]}
