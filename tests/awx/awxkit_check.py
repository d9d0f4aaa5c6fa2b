"""Check an asset file against awxkit's own import code; run with the Python of a venv that has awxkit.

Usage: python awxkit_check.py ASSETS_FILE  ->  JSON on stdout:
  {"errors": [...], "defined": [natural keys], "references": [natural keys], "assets": {...}}

Nothing here is a hand-written schema: the resource kinds are awxkit's EXPORTABLE_RESOURCES, the page class
of each natural-key type comes from awxkit's resource registry (as ApiV2._cache.get_by_natural_key finds it),
the fields a kind accepts are those its page class's payload()/create_payload() names plus its NATURAL_KEY,
and a `related` entry is accepted only when ApiV2._export would have written it (EXPORTABLE_RELATIONS,
DEPENDENT_EXPORT, DEPENDENT_NONEXPORT), so ApiV2._assign_related can replay it.
"""
import json
import sys
import types

import yaml
from awxkit import yaml_file
# Importing awxkit.api.pages registers awxkit's page classes for every endpoint.
from awxkit.api import pages as _pages  # noqa: F401  pylint: disable=unused-import
from awxkit.api.mixins import has_survey
from awxkit.api.pages import api as awx_api
from awxkit.api.pages import page
from awxkit.api.resources import resources

META_KEYS = ('natural_key', 'related')


def code_strings(code):
    """Every string constant and attribute name in a function, its nested functions included."""
    out = set(code.co_names)
    for const in code.co_consts:
        if isinstance(const, str):
            out.add(const)
        elif isinstance(const, tuple):
            out.update(item for item in const if isinstance(item, str))
        elif isinstance(const, types.CodeType):
            out.update(code_strings(const))
    return out


def item_class(cls):
    """The single-object page class of a page class (PageList subclasses name it after PageList in the MRO)."""
    mro = cls.__mro__
    if page.PageList in mro:
        return mro[mro.index(page.PageList) + 1]
    return cls


def url_of(pattern):
    return pattern.replace(r'\d+', '1')


def type_class(type_name):
    pattern = getattr(resources, type_name, None)
    if pattern is None:
        return None
    return item_class(page.get_registered_page(url_of(pattern)))


def known_fields(cls):
    fields = set(cls.NATURAL_KEY or ())
    for name in ('payload', 'create_payload'):
        func = getattr(cls, name, None)
        if func is not None and hasattr(func, '__code__'):
            fields |= code_strings(func.__code__)
    return fields


class Checker:
    def __init__(self):
        self.errors = []
        self.defined = []
        self.references = []

    def error(self, where, msg):
        self.errors.append('%s: %s' % (where, msg))

    def natural_key(self, where, key, is_reference=True):
        """A natural key: its type must be a registered resource and its keys that page class's NATURAL_KEY."""
        if not isinstance(key, dict) or 'type' not in key:
            self.error(where, 'not a natural key (a dict with "type"): %r' % (key,))
            return None
        cls = type_class(key['type'])
        if cls is None or not getattr(cls, 'NATURAL_KEY', None):
            self.error(where, 'awxkit knows no natural key for type %r' % key['type'])
            return None
        extra = set(key) - set(cls.NATURAL_KEY) - {'type'}
        if extra:
            self.error(where, 'natural key fields %s not in %s.NATURAL_KEY %s'
                       % (sorted(extra), cls.__name__, cls.NATURAL_KEY))
        for field, value in key.items():
            if isinstance(value, dict):
                self.natural_key('%s.%s' % (where, field), value)
        if is_reference:
            self.references.append({'where': where, 'key': key})
        return cls

    def asset(self, where, asset, expected_cls=None):
        if not isinstance(asset, dict) or 'natural_key' not in asset:
            self.error(where, 'an asset needs a natural_key')
            return
        cls = self.natural_key(where + '.natural_key', asset['natural_key'], is_reference=False)
        if cls is None:
            return
        self.defined.append(asset['natural_key'])
        if expected_cls is not None and cls is not expected_cls:
            self.error(where, 'natural key type %r is a %s, not a %s'
                       % (asset['natural_key']['type'], cls.__name__, expected_cls.__name__))
        for field in ('name', 'identifier', 'username'):
            if field in cls.NATURAL_KEY and asset.get(field) != asset['natural_key'].get(field):
                self.error(where, '%s %r differs from the natural key' % (field, asset.get(field)))
        allowed = known_fields(cls)
        for field, value in asset.items():
            if field in META_KEYS:
                continue
            if field not in allowed:
                self.error(where, 'field %r is unknown to awxkit\'s %s' % (field, cls.__name__))
            if isinstance(value, dict) and 'type' in value:
                self.natural_key('%s.%s' % (where, field), value)
        for name, value in (asset.get('related') or {}).items():
            self.related('%s.related.%s' % (where, name), cls, asset['natural_key']['type'], name, value)

    def related(self, where, parent_cls, parent_type, name, value):
        rel_cls = page.get_registered_page(url_of(getattr(resources, parent_type)) + name + '/')
        rel_item = item_class(rel_cls)
        pair = (parent_cls.__name__, rel_item.__name__)
        if (parent_cls.__name__, name) in awx_api.DEPENDENT_NONEXPORT:
            self.error(where, 'awxkit never imports %s' % (pair,))
            return
        if pair in awx_api.DEPENDENT_EXPORT:
            if rel_item.__name__ == 'SurveySpec':  # a JSON blob posted as is
                if not isinstance(value, dict):
                    self.error(where, 'a survey spec is a dict')
                    return
                allowed = code_strings(has_survey.HasSurvey.add_survey.__code__)
                unknown = set(value) - allowed
                if unknown:
                    self.error(where, 'survey keys %s unknown to awxkit' % sorted(unknown))
                return
            for i, item in enumerate(value or []):
                self.asset('%s[%d]' % (where, i), item, rel_item)
            return
        if rel_cls.__name__ in awx_api.EXPORTABLE_RELATIONS:
            for i, item in enumerate(value or []):
                if isinstance(item, dict) and 'natural_key' in item:
                    self.error('%s[%d]' % (where, i), 'a relation lists natural keys, not assets')
                    continue
                cls = self.natural_key('%s[%d]' % (where, i), item)
                if cls is not None and cls is not rel_item:
                    self.error('%s[%d]' % (where, i), '%s where %s expects %s'
                               % (cls.__name__, name, rel_item.__name__))
            return
        self.error(where, 'awxkit neither exports nor imports related %r of %s (page %s)'
                   % (name, parent_cls.__name__, rel_cls.__name__))

    def resource(self, key, assets):
        if key not in awx_api.EXPORTABLE_RESOURCES:
            self.error(key, 'not a resource kind awxkit imports (%s)' % ', '.join(awx_api.EXPORTABLE_RESOURCES))
            return
        pattern = getattr(resources, key, None) or getattr(resources, key + 's', None)
        expected = item_class(page.get_registered_page(url_of(pattern))) if pattern else None
        if not isinstance(assets, list):
            self.error(key, 'a resource kind holds a list')
            return
        for i, asset in enumerate(assets):
            self.asset('%s[%d]' % (key, i), asset, expected)


def main(path):
    with open(path, encoding='utf-8') as handle:
        # The loader `awx import -f yaml` uses (JSON is YAML too).
        data = yaml.load(handle, Loader=yaml_file.Loader)  # nosec B506  pylint: disable=no-value-for-parameter
    checker = Checker()
    if not isinstance(data, dict):
        checker.error(path, 'the top level is a mapping of resource kinds')
    else:
        for key, assets in data.items():
            checker.resource(key, assets)
    json.dump({'errors': checker.errors, 'defined': checker.defined, 'references': checker.references,
               'assets': data, 'exportable_resources': awx_api.EXPORTABLE_RESOURCES}, sys.stdout, default=str)


if __name__ == '__main__':
    main(sys.argv[1])
