"""Changelog fragments parse as antsibull-changelog reads them, before the sanity test's `changelog` step does.

A plain YAML scalar with ": " inside is a mapping, not the sentence it looks like (the trap of the guide's
"YAML trap" note): the fragment then fails `ansible-test sanity --test changelog`, which only the full sanity run
(CI) holds. Each fragment must be a mapping of sections changelogs/config.yaml names to lists of strings.
"""
import os

import pytest
import yaml

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..')
FRAGMENTS = os.path.join(ROOT, 'changelogs', 'fragments')


def _sections():
    with open(os.path.join(ROOT, 'changelogs', 'config.yaml'), encoding='utf-8') as handle:
        config = yaml.safe_load(handle)
    return {name for name, _title in config['sections']} | {config.get('prelude_section_name', 'release_summary')}


@pytest.mark.parametrize('name', sorted(n for n in os.listdir(FRAGMENTS) if n.endswith(('.yml', '.yaml'))))
def test_each_fragment_is_sections_of_sentences(name):
    with open(os.path.join(FRAGMENTS, name), encoding='utf-8') as handle:
        fragment = yaml.safe_load(handle)
    assert isinstance(fragment, dict) and fragment, name
    unknown = set(fragment) - _sections()
    assert not unknown, '%s: sections %s are not in changelogs/config.yaml' % (name, sorted(unknown))
    for section, items in fragment.items():
        if section == 'release_summary':
            assert isinstance(items, str), name
            continue
        bad = [i for i in items if not isinstance(i, str)]
        assert not bad, '%s: %s has items that are not sentences (a ": " in a plain scalar? quote it): %r' % (
            name, section, bad)
