"""Run every role's Molecule scenario (`molecule test -s <scenario>` in the role directory).

Discovers roles/*/molecule/*/molecule.yml, one test per scenario. Needs the node images
(`make images`) and a Docker engine (`make engine`); prints each scenario's wall time.
Set GPT371_MOLECULE_ONLY=role[/scenario],... to run a subset.
"""
import os
import pathlib
import shutil
import subprocess
import time

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
VENV_BIN = ROOT / ".venv" / "bin"
TIMEOUT = int(os.environ.get("GPT371_MOLECULE_TIMEOUT", "1800"))


def _scenarios():
    only = [s for s in os.environ.get("GPT371_MOLECULE_ONLY", "").split(",") if s]
    found = []
    for cfg in sorted(ROOT.glob("roles/*/molecule/*/molecule.yml")):
        role, scenario = cfg.parents[2].name, cfg.parent.name
        if only and role not in only and f"{role}/{scenario}" not in only:
            continue
        found.append(pytest.param(role, scenario, id=f"{role}-{scenario}"))
    return found


def _env(tmp_path):
    env = dict(os.environ)
    env["ANSIBLE_CONFIG"] = str(ROOT / "ansible.cfg")
    env["PATH"] = f"{VENV_BIN}{os.pathsep}{env.get('PATH', '')}"
    env["GPT371_MOLECULE_REPORT_DIR"] = str(tmp_path)
    env.setdefault("ANSIBLE_FORCE_COLOR", "0")
    env["NO_COLOR"] = "1"
    return env


@pytest.mark.parametrize(("role", "scenario"), _scenarios())
def test_molecule_scenario(role, scenario, tmp_path, capsys, record_property):
    molecule = VENV_BIN / "molecule"
    if not molecule.exists():
        pytest.fail(f"{molecule} missing: run `make setup`")
    if shutil.which("docker") is None:
        pytest.fail("docker CLI missing: run `make setup`")
    started = time.monotonic()
    proc = subprocess.run(
        [str(molecule), "test", "-s", scenario],
        cwd=ROOT / "roles" / role,
        env=_env(tmp_path),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )
    elapsed = time.monotonic() - started
    figures = ""
    for report in sorted(tmp_path.glob("*.json")):
        figures += f" {report.name}: {report.read_text().strip()}"
    record_property("molecule_scenario", f"{role}/{scenario}")
    record_property("molecule_seconds", elapsed)
    record_property("molecule_figures", figures)
    with capsys.disabled():
        print(f"\n[molecule] {role}/{scenario}: rc={proc.returncode} in {elapsed:.1f} s{figures}")
    assert proc.returncode == 0, (
        f"molecule test -s {scenario} in roles/{role} failed (rc {proc.returncode}, {elapsed:.0f} s); "
        f"last output:\n{proc.stdout[-6000:]}"
    )
