"""What `make demo` / `make test` leave outside the clone, and `make purge` (issue 10).

The README's "What the set-up touches outside the clone", scripts/purge.sh's arrays and the scripts themselves must
name the same paths, packages and images. Then purge runs for real on a temporary HOME and root
(GPT371_PURGE_ROOT), from a copy of the script (no lab/.state next to it) with fake docker/apt commands first on
PATH, so nothing of this machine is touched even if its guards broke.
"""
import fnmatch
import glob
import os
import re
import shlex
import shutil
import subprocess
import threading
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
README = REPO / "README.md"
PURGE = REPO / "scripts" / "purge.sh"
HEADING = "## What the set-up touches outside the clone"
# Scripts that run on the controller during demo/test. rehearse.sh is not one: it runs in its own mount
# namespace and removes what it makes; purge.sh names every path by design.
CONTROLLER_SCRIPTS = ["scripts/*.sh", "lab/*.sh", "lab/services/*.sh", "images/build.sh", "awx/build-ee.sh",
                      "examples/reference-stack/build.sh"]
NOT_SCANNED = {"scripts/rehearse.sh", "scripts/purge.sh"}
# Read by the scripts, never written.
READ_ONLY = ("/etc/apt/sources.list", "/etc/ssl/certs/")


def bash_array(path, name):
    """The words of `NAME=( ... )` in a bash script, quotes and comments handled as bash does."""
    text = Path(path).read_text(encoding="utf-8")
    match = re.search(rf"^\s*{name}=\(", text, re.M)
    assert match, f"{name}=( ... ) not found in {path}"
    lexer = shlex.shlex(text[match.end():], posix=True, punctuation_chars="()")
    lexer.whitespace_split = True
    lexer.commenters = "#"
    words = []
    for token in lexer:
        if token == ")":
            return words
        words.append(token)
    raise AssertionError(f"{name}=( in {path} is not closed")


def bash_scalar(path, name):
    match = re.search(rf"^{name}=(\S+)", Path(path).read_text(encoding="utf-8"), re.M)
    assert match, f"{name}= not found in {path}"
    return shlex.split(match.group(1))[0]


def readme_section():
    text = README.read_text(encoding="utf-8")
    headings = re.findall(r"^## .*$", text, re.M)
    assert HEADING in headings, f"README.md lacks the heading {HEADING!r}"
    assert headings[headings.index(HEADING) - 1] == "## Make targets", "the section belongs after 'Make targets'"
    start = text.index(HEADING + "\n")
    end = text.find("\n## ", start + 1)
    return text[start:end if end != -1 else len(text)]


def readme_bullets():
    """{first backticked text: the bullet's whole text} of the section's list."""
    bullets, current = {}, None
    for line in readme_section().splitlines():
        if line.startswith("- "):
            match = re.match(r"- `([^`]+)` — (.+)$", line)
            assert match, f"bullet not of the form '- `path` — what writes it': {line!r}"
            current = match.group(1)
            assert current not in bullets, f"listed twice: {current}"
            bullets[current] = match.group(2)
        elif current and line.startswith("  "):
            bullets[current] += " " + line.strip()
        else:
            current = None
    return bullets


def readme_paths():
    return [key for key in readme_bullets() if key.startswith(("/", "~/"))]


def readme_kind(prefix):
    found = [key[len(prefix):].split() for key in readme_bullets() if key.startswith(prefix)]
    assert len(found) == 1, f"expected one bullet `{prefix} ...` in the section"
    return found[0]


def lab_apt_packages():
    """Packages the controller scripts install with a literal `apt-get install` (bootstrap's goes by array)."""
    found = set()
    for rel in controller_scripts():
        for match in re.finditer(r"apt-get\s+install\s+([^\n|;&>]+)", (REPO / rel).read_text(encoding="utf-8")):
            # A quoted message that names the command ("apt-get install x") yields x too: the same package.
            found.update(w.strip("\"'") for w in match.group(1).split()
                         if re.fullmatch(r"[a-z0-9][a-z0-9.+-]+[\"']?", w))
    return found


def controller_scripts():
    files = set()
    for pattern in CONTROLLER_SCRIPTS:
        files.update(os.path.relpath(p, REPO) for p in glob.glob(str(REPO / pattern)))
    return sorted(files - NOT_SCANNED)


def covered(path, listed):
    """Listed itself, or inside a listed folder, or the folder a listed path lives in."""
    return any(fnmatch.fnmatch(path, entry) or path.startswith(entry + "/") or entry.startswith(path + "/")
               for entry in listed)


def written_paths():
    """(path, where) for every system or home path the controller scripts and the roles' defaults name."""
    found = []
    system = re.compile(r"(?<![\w$}./])(/(?:var|etc|run|tmp)(?:/[\w.*-]+)+)")
    home = re.compile(r"\$\{?HOME\}?/([\w./-]+)")
    for rel in controller_scripts():
        text = (REPO / rel).read_text(encoding="utf-8")
        for line in text.splitlines():
            code = re.sub(r"(^|\s)#.*$", "", line)  # comments; ${#array[@]} stays
            found += [(m.group(1), rel) for m in system.finditer(code)]
            found += [("~/" + m.group(1).rstrip("/"), rel) for m in home.finditer(code)]
    # The roles' controller-side defaults: "{{ lookup('ansible.builtin.env', 'HOME') }}/.cache/...".
    env_home = re.compile(r"lookup\('ansible\.builtin\.env', 'HOME'\) \}\}/([\w./-]+)")
    for defaults in sorted(REPO.glob("roles/*/defaults/main.yml")):
        for match in env_home.finditer(defaults.read_text(encoding="utf-8")):
            found.append(("~/" + match.group(1).rstrip("/"), os.path.relpath(defaults, REPO)))
    return [(p, where) for p, where in found if not p.startswith(READ_ONLY)]


# --- static: README, purge.sh and the scripts agree --------------------------------------------------------------

def test_readme_paths_are_purge_paths_both_ways():
    listed, purged = readme_paths(), bash_array(PURGE, "PURGE_PATHS")
    assert len(purged) == len(set(purged)), "PURGE_PATHS holds a path twice"
    assert sorted(set(listed) - set(purged)) == [], "listed in README.md but not removed by scripts/purge.sh"
    assert sorted(set(purged) - set(listed)) == [], "removed by scripts/purge.sh but not listed in README.md"


def test_every_path_the_scripts_write_is_listed():
    listed = readme_paths()
    missing = sorted({f"{p} ({where})" for p, where in written_paths() if not covered(p, listed)})
    assert missing == [], f"paths outside the clone that README.md's section does not list: {missing}"


def test_the_compose_cache_default_is_under_a_listed_path():
    defaults = yaml.safe_load((REPO / "roles/docker_host/defaults/main.yml").read_text(encoding="utf-8"))
    cache = defaults["docker_host_compose_pypi_cache_dir"].replace(
        "{{ lookup('ansible.builtin.env', 'HOME') }}", "~")
    assert covered(cache, readme_paths()), cache


def test_apt_packages_agree_with_bootstrap_lab_and_purge():
    listed = readme_kind("apt:")
    installed = set(bash_array(REPO / "scripts/bootstrap.sh", "APT_PACKAGES")) | lab_apt_packages()
    purged = bash_array(PURGE, "PURGE_APT_PACKAGES")
    assert "rabbitmq-server" in installed, "lab/services/prereqs.sh's apt-get install was not found"
    assert sorted(set(listed) - installed) == [], "README lists packages nothing installs"
    assert sorted(installed - set(listed)) == [], "packages the scripts install that README does not list"
    assert sorted(purged) == sorted(listed), "scripts/purge.sh's PURGE_APT_PACKAGES differs from README's"


def test_images_agree_with_purge_and_the_ee_tag():
    prefix = bash_scalar(PURGE, "IMAGE_PREFIX")
    assert readme_kind("images:") == [prefix + "*"]
    ee = yaml.safe_load((REPO / "execution-environment.yml").read_text(encoding="utf-8"))
    assert all(tag.startswith(prefix) for tag in ee["options"]["tags"]), ee["options"]["tags"]


def test_the_conditions_are_told():
    bullets, engine_data = readme_bullets(), bash_array(PURGE, "ENGINE_DATA")
    assert set(engine_data) <= set(bash_array(PURGE, "PURGE_PATHS"))
    assert "PURGE_DOCKER_DATA=1" in bullets["/var/lib/docker"]
    assert all("/var/lib/docker" in bullets[p] or "PURGE_DOCKER_DATA=1" in bullets[p] for p in engine_data)
    assert "PURGE_APT=1" in bullets[next(k for k in bullets if k.startswith("apt:"))]


def test_make_purge_runs_the_script():
    makefile = (REPO / "Makefile").read_text(encoding="utf-8")
    assert re.search(r"^purge:\n\t@?bash scripts/purge\.sh", makefile, re.M)
    assert re.search(r"^\.PHONY:(?:[^\n]*\\\n)*[^\n]*\bpurge\b", makefile, re.M)
    assert re.search(r"^## purge ", makefile, re.M)


def test_dockerd_records_what_purge_reads():
    dockerd = (REPO / "scripts/dockerd.sh").read_text(encoding="utf-8")
    assert bash_scalar(REPO / "scripts/dockerd.sh", "PIDFILE") == "/run/gpt371-dockerd.pid"
    assert '>"$PIDFILE"' in dockerd and "/proc/$!/stat" in dockerd


# --- purge for real, on a temporary HOME and root -------------------------------------------------------------

def _expand(entry, home, root, user):
    path = entry.replace("$USER", user)
    return home / path[2:] if path.startswith("~/") else Path(str(root) + path)


def _make(path):
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix in (".log", ".pid", ".json") or path.name == "docker-compose":
        path.write_text("x\n")
    else:
        path.mkdir(exist_ok=True)
        (path / "inside").write_text("x\n")


def _start_time(pid):
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[19]


@pytest.fixture
def sandbox(tmp_path):
    """A clone with only scripts/purge.sh, HOME, root, fake docker/apt on PATH, and the listed paths made."""
    clone, home, root, fake = (tmp_path / n for n in ("clone", "home", "root", "fake-bin"))
    (clone / "scripts").mkdir(parents=True)
    shutil.copy(PURGE, clone / "scripts" / "purge.sh")
    fake.mkdir()
    calls = tmp_path / "calls"
    for tool in ("docker", "apt-get", "dpkg-query", "dockerd"):
        (fake / tool).write_text(f'#!/bin/sh\necho "{tool} $*" >>"{calls}"\nexit 1\n')
        (fake / tool).chmod(0o755)
    user = "footprint"
    made = {}
    for entry in bash_array(PURGE, "PURGE_PATHS"):
        target = _expand(entry, home, root, user)
        if "*" in entry:
            made[entry] = [Path(str(target).replace("*", "rootfs.abc")), Path(str(target).replace("*", "ctx.def"))]
        else:
            made[entry] = [target]
        for path in made[entry]:
            _make(path)
    _expand("/run/gpt371-dockerd.pid", home, root, user).write_text("999999999 1\n")  # no such process
    keep = [home / ".cache/other/keep", home / ".ansible/collections/ansible_collections/x/keep",
            root / "var/lib/other/keep", root / "tmp/other-gpt371/keep", home / ".docker/config.json"]
    for path in keep:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("x\n")
    env = {"PATH": f"{fake}{os.pathsep}{os.environ.get('PATH', '/usr/bin:/bin')}", "HOME": str(home),
           "USER": user, "LANG": "C", "GPT371_PURGE_ROOT": str(root)}

    def run(**extra):
        return subprocess.run(["bash", str(clone / "scripts" / "purge.sh")], env={**env, **extra},
                              capture_output=True, text=True, timeout=120, check=False)

    return {"run": run, "made": made, "keep": keep, "calls": calls, "home": home, "root": root, "user": user}


def test_purge_removes_every_listed_path(sandbox):
    proc = sandbox["run"](GPT371_PURGE_DRY_ENGINE="1", PURGE_DOCKER_DATA="1")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    engine_data = bash_array(PURGE, "ENGINE_DATA")
    for entry, paths in sandbox["made"].items():
        for path in paths:
            if entry in engine_data:  # no engine stopped by this run: its data stays, PURGE_DOCKER_DATA or not
                assert path.exists(), f"{entry}: {path} removed without the engine stopped"
            else:
                assert not path.exists(), f"{entry}: {path} still there\n{proc.stdout}"
    assert all(path.exists() for path in sandbox["keep"]), proc.stdout
    assert not (sandbox["home"] / ".docker/cli-plugins").exists()  # left empty, so removed
    assert not (sandbox["home"] / ".ansible/test").exists()
    assert (sandbox["home"] / ".ansible").is_dir()  # holds someone's collection
    assert not sandbox["calls"].exists(), "the dry run called " + sandbox["calls"].read_text()


def test_purge_stops_only_the_engine_dockerd_sh_recorded(sandbox):
    """A stand-in engine recorded as dockerd.sh does: dry, it survives with its PID file; otherwise purge stops it,
    and only then does PURGE_DOCKER_DATA=1 take the engine's data."""
    engine = subprocess.Popen(["sleep", "60"])
    threading.Thread(target=engine.wait, daemon=True).start()  # reaped at once: no zombie with the same start
    pidfile = _expand("/run/gpt371-dockerd.pid", sandbox["home"], sandbox["root"], sandbox["user"])
    data = sandbox["made"]["/var/lib/docker"][0]
    try:
        pidfile.write_text(f"{engine.pid} {_start_time(engine.pid)}\n")
        dry = sandbox["run"](GPT371_PURGE_DRY_ENGINE="1", PURGE_DOCKER_DATA="1")
        assert dry.returncode == 0, dry.stdout + dry.stderr
        assert engine.poll() is None and pidfile.exists() and data.exists(), dry.stdout

        pidfile.write_text(f"{engine.pid} 1\n")  # same PID, another start time: a reused PID
        reused = sandbox["run"](PURGE_DOCKER_DATA="1")
        assert reused.returncode == 0, reused.stdout + reused.stderr
        assert engine.poll() is None and data.exists(), reused.stdout

        pidfile.write_text(f"{engine.pid} {_start_time(engine.pid)}\n")
        real = sandbox["run"](PURGE_DOCKER_DATA="1")
        assert real.returncode == 0, real.stdout + real.stderr
        engine.wait(timeout=10)
        assert not pidfile.exists() and not data.exists(), real.stdout
        assert not _expand("/etc/docker/key.json", sandbox["home"], sandbox["root"], sandbox["user"]).exists()
        calls = sandbox["calls"].read_text() if sandbox["calls"].exists() else ""
        assert all(line.startswith("docker info") for line in calls.splitlines()), calls
    finally:
        if engine.poll() is None:
            engine.kill()
