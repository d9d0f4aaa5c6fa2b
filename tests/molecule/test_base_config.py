"""The shared Molecule base (.config/molecule/config.yml) holds what every scenario shares; no scenario repeats it.

Molecule merges the base under each roles/*/molecule/*/molecule.yml (dicts key by key, a scenario's list replaces
the base's), found at the git root; these checks read the files and need no Docker.
"""
import pathlib

import pytest
import yaml

ROOT = pathlib.Path(__file__).resolve().parents[2]
BASE = ROOT / ".config" / "molecule" / "config.yml"
SCENARIOS = sorted(ROOT.glob("roles/*/molecule/*/molecule.yml"))


def _merge(a, b):
    """Molecule's util.merge_dicts: b over a, dicts recursively, anything else replaced."""
    out = dict(a)
    for key, value in b.items():
        out[key] = _merge(a[key], value) if isinstance(a.get(key), dict) and isinstance(value, dict) else value
    return out


def test_base_declares_the_shared_settings():
    base = yaml.safe_load(BASE.read_text())
    assert base["driver"] == {"name": "docker"}
    assert base["prerun"] is False and base["dependency"]["enabled"] is False
    assert set(base["provisioner"]["env"]) == {"ANSIBLE_CONFIG", "ANSIBLE_COLLECTIONS_PATH"}
    assert base["scenario"]["test_sequence"][0] == "destroy" and base["scenario"]["test_sequence"][-1] == "destroy"


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.parts[-4])
def test_scenario_does_not_repeat_the_base(path):
    base = yaml.safe_load(BASE.read_text())
    scenario = yaml.safe_load(path.read_text())
    repeated = [key for key in ("prerun", "dependency", "driver", "verifier") if key in scenario]
    repeated += ["provisioner.env." + key for key in scenario.get("provisioner", {}).get("env", {})
                 if key in base["provisioner"]["env"]]
    assert not repeated, f"{path.relative_to(ROOT)} repeats {repeated}: leave them to {BASE.relative_to(ROOT)}"
    merged = _merge(base, scenario)
    assert merged["driver"]["name"] == "docker" and merged["platforms"], merged
    assert merged["provisioner"]["env"]["ANSIBLE_COLLECTIONS_PATH"].endswith("/../../.collections")
    assert "converge" in merged["scenario"]["test_sequence"] and "idempotence" in merged["scenario"]["test_sequence"]
