# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpt371.infra maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
#
# PRIVATE to gpt371.infra: may change without notice; do not import from other collections.
"""A .env read exactly as docker compose reads it (a port of compose-go's dotenv), for filters and modules alike."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re
import unicodedata

# The character classes of Go that compose-go uses, as Python cannot borrow them from str.isspace().
# unicode.IsSpace (Go): Latin-1 spaces, then the White_Space property.
_GO_SPACE = frozenset(u'\t\n\v\f\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009'
                      u'\u200a\u2028\u2029\u202f\u205f\u3000')
# dotenv's isSpace: a space but not a line feed.
_LINE_SPACE = frozenset(u'\t\v\f\r \x85\xa0')
# `^export\s+` (Go's \s is [\t\n\f\r ]).
_EXPORT = re.compile(u'export[\t\n\f\r ]+')
_ESCAPE = re.compile(r'\\(?:[abcfnrtv$"\\]|0[0-9]{0,3})')
_SIMPLE_ESCAPES = {'a': u'\a', 'b': u'\b', 'f': u'\f', 'n': u'\n', 'r': u'\r', 't': u'\t', 'v': u'\v',
                   '"': u'"', '\\': u'\\'}
# template.DefaultPattern: `\$(?i:(?P<escaped>\$)|(?P<named>[_a-z][_a-z0-9]*)|{(?:(?P<braced>...)}|(?P<invalid>)))`.
# Go's (?i) folds k to U+212A (Kelvin sign) and s to U+017F (long s), and nothing else outside ASCII: spelled out,
# because Python's IGNORECASE would also take U+0130 and U+0131.
_FIRST = u'_A-Za-z\u017f\u212a'
_NEXT = u'_A-Za-z0-9\u017f\u212a'
_TEMPLATE = re.compile(
    u'\\$(?:(?P<escaped>\\$)|(?P<named>[%s][%s]*)|\\{(?:(?P<braced>[%s][%s]*(?::?[-+?](.*))?)\\}|(?P<invalid>)))'
    % (_FIRST, _NEXT, _FIRST, _NEXT))


class _DotenvError(Exception):
    """A reason to refuse the file; the filter adds the line number. Never carries file content."""


def _trim_left(text, spaces):
    index = 0
    while index < len(text) and text[index] in spaces:
        index += 1
    return text[index:]


def _trim_right(text, spaces):
    end = len(text)
    while end > 0 and text[end - 1] in spaces:
        end -= 1
    return text[:end]


def _key_char(char):
    return char in '_.-[]' or unicodedata.category(char)[0] in 'LN'


# --- compose-go template: Substitute ----------------------------------------------------------------------------

def _substitute(template, mapping):
    return _TEMPLATE.sub(lambda match: _replacement(match.group(0), mapping), template)


def _operator(substring):
    """getSubstitutionFunctionForTemplate: the operator found first in the whole match (":?" if none)."""
    found = [(substring.find(sep), order, sep) for order, sep in enumerate((':?', '?', ':-', '-', ':+', '+'))]
    present = sorted(item for item in found if item[0] >= 0)
    return present[0][2] if present else ':?'


def _first_closing_brace(text):
    """getFirstBraceClosingIndex, quirks included (the character after a '{' is skipped)."""
    depth = 0
    index = 0
    while index < len(text):
        if text[index] == '}':
            depth -= 1
            if depth == 0:
                return index
        if text[index] == '{':
            depth += 1
            index += 1
        index += 1
    return -1


def _apply(operator, substitution, mapping):
    """The six operators of a braced reference: (value, applied)."""
    if operator not in substitution:
        return '', False
    name, argument = substitution.split(operator, 1)
    argument = _substitute(argument, mapping)
    value, found = mapping(name)
    if operator in (':?', '?'):
        if not found or (operator == ':?' and value == ''):
            raise _DotenvError('required variable %s is missing a value' % name)
        return value, True
    if operator in (':-', '-'):
        if not found or (operator == ':-' and value == ''):
            return argument, True
        return value, True
    if found and (operator == '+' or value != ''):  # ':+' and '+'
        return argument, True
    return value, True


def _replacement(substring, mapping):
    """DefaultReplacementAppliedFunc."""
    operator = _operator(substring)
    rest = ''
    closing = _first_closing_brace(substring)
    if closing > -1:
        rest = substring[closing + 1:]
        substring = substring[:closing + 1]
    match = _TEMPLATE.search(substring)
    if match is None:
        raise _DotenvError('invalid interpolation')
    if match.group('escaped'):
        return match.group('escaped')
    substitution, braced = match.group('named') or '', False
    if not substitution:
        substitution, braced = match.group('braced') or '', True
    if not substitution:
        raise _DotenvError('invalid interpolation (a "${" with no valid name)')
    if braced:
        value, applied = _apply(operator, substitution, mapping)
        if applied:
            return value + _substitute(rest, mapping)
    return mapping(substitution)[0]


# --- compose-go dotenv: the parser --------------------------------------------------------------------------------

def _expand_escapes(text):
    def unescape(match):
        seq = match.group(0)
        if seq == '\\$':
            return '$$'  # the template's own escape for a literal dollar
        if seq.startswith('\\0'):
            seq = '\\' + seq[2:]  # Go's strconv.UnquoteChar wants exactly three octal digits after the backslash
            digits = seq[1:]
            if len(digits) == 3 and all(d in '01234567' for d in digits) and int(digits, 8) <= 255:
                return chr(int(digits, 8))
            return seq  # compose returns the rewritten sequence when it cannot unquote it
        return _SIMPLE_ESCAPES.get(seq[1], seq)  # `\c` is matched but not unquoted: kept as it is
    return _ESCAPE.sub(unescape, text)


class _Parser(object):
    def __init__(self, environment):
        self.line = 1  # compose's line counter
        self.statement_line = 1  # the line the current KEY=value starts on: the one an error names
        self.environment = environment

    def parse(self, src):
        out = {}

        def mapping(name):
            if name in self.environment:
                return '%s' % self.environment[name], True
            if name in out:
                return out[name], True
            return '', False

        cutset = src
        while True:
            cutset = self._statement_start(cutset)
            if cutset == '':
                break
            self.statement_line = self.line
            key, left, inherited = self._key(cutset)
            if ' ' in key:
                raise _DotenvError('key cannot contain a space')
            if inherited:
                value, found = mapping(key)
                if found:
                    out[key] = value
                cutset = left
                continue
            value, cutset = self._value(left, mapping)
            out[key] = value
        return out

    def _index_of_non_space(self, src):
        for index, char in enumerate(src):
            if char == '\n':
                self.line += 1
            if char not in _GO_SPACE:
                return index
        return -1

    def _statement_start(self, src):
        while True:
            pos = self._index_of_non_space(src)
            if pos == -1:
                return ''
            src = src[pos:]
            if src[0] != '#':
                return src
            pos = src.find('\n')
            if pos == -1:
                return ''
            src = src[pos:]

    def _key(self, src):
        if _EXPORT.match(src):
            src = _trim_left(src[len('export'):], _LINE_SPACE)
        key, offset, inherited = '', 0, False
        for index, char in enumerate(src):
            if char in _LINE_SPACE:
                continue
            if char in '=:\n':  # ':' for the YAML-like `KEY: value`; a line feed: the key alone
                key, offset, inherited = src[:index], index + 1, char == '\n'
                break
            if not _key_char(char):
                raise _DotenvError('unexpected character in a variable name')
        if src == '':
            raise _DotenvError('zero length string')
        if inherited and ' ' not in key:
            self.line += 1
        return _trim_right(key, _GO_SPACE), _trim_left(src[offset:], _LINE_SPACE), inherited

    def _value(self, src, mapping):
        quote = src[:1]
        if quote not in ('"', "'"):
            value, _sep, rest = src.partition('\n')
            self.line += 1
            value = _trim_right(value.split(' #', 1)[0], _GO_SPACE)
            return _substitute(value, mapping), rest

        escaped = False
        chars = []
        for index in range(1, len(src)):
            char = src[index]
            if char == '\n':
                self.line += 1
            if char != quote:
                if not escaped and char == '\\':
                    escaped = True
                    continue
                if escaped:
                    escaped = False
                    chars.append('\\')
                chars.append(char)
                continue
            if escaped:  # an escaped quote of the kind that opened the value
                escaped = False
                chars.append(char)
                continue
            value = ''.join(chars)
            if quote == '"':
                value = _substitute(_expand_escapes(value), mapping)
            return value, src[index + 1:]
        raise _DotenvError('unterminated quoted value')


class DotenvError(ValueError):
    """The file cannot be read; the message names the line, never its content."""


def parse(text, environment=None):
    """{name: value} of a .env text, in file order; raises DotenvError (or TypeError for a non-string)."""
    if not isinstance(text, str):
        raise TypeError('dotenv expects the text of a .env file, got %s' % type(text).__name__)
    if environment is None:
        environment = {}
    if not isinstance(environment, dict):
        raise TypeError('dotenv: environment must be a dictionary, got %s' % type(environment).__name__)
    if text.startswith(u'\ufeff'):
        text = text[1:]
    parser = _Parser(environment)
    try:
        return parser.parse(text)
    except _DotenvError as err:
        # Never echo the line: it may hold a secret.
        raise DotenvError('dotenv: line %d: %s' % (parser.statement_line, err))
    except RecursionError:
        raise DotenvError('dotenv: line %d: interpolation nested too deeply' % parser.statement_line)
