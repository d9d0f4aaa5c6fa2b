"""Every plugin's DOCUMENTATION, EXAMPLES and RETURN parse as YAML with libyaml.

ansible-test sanity (yamllint, ansible-doc) checks the same, but only after lint and a minute of set-up;
this fails in a second. A plain scalar holding ": " is the usual slip (CI failed on one in a filter).
"""

import ast
from pathlib import Path

import pytest
import yaml

PLUGINS = Path(__file__).resolve().parents[3] / 'plugins'
BLOCKS = ('DOCUMENTATION', 'EXAMPLES', 'RETURN')
FILES = sorted(p for p in PLUGINS.rglob('*.py') if p.parent.name not in ('module_utils', '__pycache__'))


def doc_blocks(path):
    for node in ast.walk(ast.parse(path.read_text(encoding='utf-8'))):  # doc fragments keep them in a class
        if isinstance(node, ast.Assign) and getattr(node.targets[0], 'id', None) in BLOCKS:
            yield node.targets[0].id, node.value.value


@pytest.mark.parametrize('path', FILES, ids=lambda p: str(p.relative_to(PLUGINS)))
def test_doc_blocks_parse_with_libyaml(path):
    blocks = dict(doc_blocks(path))
    # An action plugin is documented by the module of the same name.
    assert blocks or path.parent.name == 'action', f'{path.name} has none of {BLOCKS}'
    for name, text in blocks.items():
        try:
            yaml.load(text, Loader=yaml.CSafeLoader)
        except yaml.YAMLError as exc:
            pytest.fail(f'{path.name} {name}: {exc}')
