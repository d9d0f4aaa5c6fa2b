"""lookup state_dir: infra_state_dir's default, outside any checkout or installed collection (issue 14)."""
import os

from ansible_collections.gpt371.infra.plugins.lookup.state_dir import state_dir


def test_explicit_then_xdg_then_home(monkeypatch):
    monkeypatch.setenv('HOME', '/home/ops')
    assert state_dir({'GPT371_STATE_DIR': '~/runs'}) == '/home/ops/runs'
    assert state_dir({'XDG_STATE_HOME': '/var/state'}) == '/var/state/gpt371'
    assert state_dir({}) == '/home/ops/.local/state/gpt371'


def test_never_inside_the_collection():
    here = os.path.dirname(os.path.abspath(__file__))
    repo = os.path.abspath(os.path.join(here, '..', '..', '..', '..'))
    assert not state_dir(dict(os.environ, GPT371_STATE_DIR='')).startswith(repo + os.sep)
