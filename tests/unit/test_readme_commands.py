"""Every command in README.md's ```bash blocks resolves (issue 10).

`make X`: a Makefile target. `ansible-playbook P`: a file, or gpt371.infra.<name> -> playbooks/<name>.yml as
ansible-core maps a collection playbook. `bash`/`python` FILE: the file exists. Any other first word: a shell
builtin, a console script of the pinned requirements (then the block must activate .venv first, or call
.venv/bin/X), or a program of the system (an apt package bootstrap installs, or on PATH). Whether a requirement
provides a script is read from the installed distribution when .venv has it, else from KNOWN_SCRIPTS, so the
test judges a README before `make setup` ran. A word naming a file of the repository must name an existing one
(or one git ignores: made by the set-up, like lab/.state/clouds.yaml).
"""
import functools
import importlib.metadata
import os
import re
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
README = REPO / "README.md"
BUILTINS = {"export", "cd", "source", ".", "set", "unset", "echo", "printf", "true", "false", "test", "[", "pwd",
            "exit", "read", "eval", "exec", "type", "command", "wait"}
# The project's venvs: (folder, requirement files).
# .venv: the run-time pins and the development ones (the `openstack` CLI, pytest, molecule ...), both installed
# by scripts/bootstrap.sh.
VENVS = {".venv": ("requirements.txt", "requirements-dev.txt"), "lab/.venv": ("lab/requirements.txt",)}
# Console script -> the requirement that installs it (directly or through a pinned bundle), for a missing venv.
KNOWN_SCRIPTS = {
    "ansible": "ansible", "ansible-playbook": "ansible", "ansible-doc": "ansible", "ansible-galaxy": "ansible",
    "ansible-inventory": "ansible", "ansible-vault": "ansible", "ansible-test": "ansible",
    "ansible-config": "ansible", "ansible-lint": "ansible-lint", "molecule": "molecule", "pytest": "pytest",
    "openstack": "python-openstackclient", "ansible-runner": "ansible-runner", "ansible-builder": "ansible-builder",
    "moto_server": "moto",
}
# Programs every venv has; on the system too, so they need no activation.
VENV_BASICS = {"python", "python3", "pip", "pip3"}
# System commands -> the apt package scripts/bootstrap.sh installs for them.
SYSTEM_COMMANDS = {"make": "make", "git": "git", "docker": "docker.io", "curl": "curl", "ssh": "openssh-client",
                   "rsync": "rsync", "psql": "postgresql-client", "openssl": "openssl", "ip": "iproute2"}
# ansible-playbook options that take a value.
PLAYBOOK_VALUE_OPTS = {"-e", "--extra-vars", "-i", "--inventory", "-l", "--limit", "-t", "--tags", "--skip-tags",
                       "-u", "--user", "-f", "--forks", "-c", "--connection", "-T", "--timeout", "-M",
                       "--module-path", "--vault-id", "--vault-password-file", "--private-key", "--start-at-task",
                       "--become-user", "--become-method"}
COLLECTION = "gpt371.infra"
SEPARATORS = {";", "&&", "||", "|", "&"}


def norm(name):
    return re.sub(r"[-_.]+", "-", name).lower()


@functools.lru_cache(maxsize=None)
def requirement_names(files):
    names = set()
    for rel in files:
        for line in (REPO / rel).read_text(encoding="utf-8").splitlines():
            match = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", line.split("#", 1)[0])
            if match and not line.lstrip().startswith("-"):
                names.add(norm(match.group(1)))
    return names


@functools.lru_cache(maxsize=None)
def installed(venv):
    """{normalized name: distribution} in a venv's site-packages (empty when the venv does not exist)."""
    sites = sorted((REPO / venv).glob("lib/python3*/site-packages"))
    return {norm(d.metadata["Name"]): d for d in importlib.metadata.distributions(path=[str(s) for s in sites])
            if d.metadata["Name"]}


def closure(names, dists):
    """The requirements and, as far as the venv shows, what they pull in (markers ignored: an over-estimate)."""
    seen, todo = set(), list(names)
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        for req in (dists[name].requires or []) if name in dists else []:
            todo.append(norm(re.match(r"[A-Za-z0-9._-]+", req).group(0)))
    return seen


def venv_provides(venv, script):
    """Whether the venv's pinned requirements install `script` (before or after the venv exists)."""
    if script in VENV_BASICS:
        return True
    wanted = requirement_names(VENVS[venv])
    if KNOWN_SCRIPTS.get(script) and norm(KNOWN_SCRIPTS[script]) in wanted:
        return True
    dists = installed(venv)
    providers = {name for name, dist in dists.items()
                 for ep in dist.entry_points if ep.group == "console_scripts" and ep.name == script}
    return bool(providers & closure(wanted, dists))


def system_path():
    """PATH without the project's venvs (make puts .venv/bin first: a reader's shell does not)."""
    venvs = [str(REPO / v) for v in VENVS] + [os.environ.get("VIRTUAL_ENV") or "\0"]
    return os.pathsep.join(p for p in os.environ.get("PATH", "").split(os.pathsep)
                           if p and not any(p.startswith(v) for v in venvs))


def makefile_targets():
    targets = set()
    for line in (REPO / "Makefile").read_text(encoding="utf-8").splitlines():
        match = re.match(r"^([A-Za-z0-9][\w./ -]*?)\s*:(?![:=])", line)
        if match and not line.startswith("\t"):
            targets.update(match.group(1).split())
    return targets


def bootstrap_apt():
    text = (REPO / "scripts/bootstrap.sh").read_text(encoding="utf-8")
    match = re.search(r"^APT_PACKAGES=\(([^)]*)\)", text, re.M)
    return set(match.group(1).split()) if match else set()


def collection_playbook(ref):
    """ansible-core's mapping: gpt371.infra[.sub].name[.yml|.yaml] -> playbooks/[sub/]name.yml|.yaml."""
    if not ref.startswith(COLLECTION + "."):
        return None
    parts = ref[len(COLLECTION) + 1:].split(".")
    if parts[-1] in ("yml", "yaml") and len(parts) > 1:
        parts = parts[:-2] + [parts[-2] + "." + parts[-1]]
    base = REPO.joinpath("playbooks", *parts)
    for candidate in (base, base.with_name(base.name + ".yml"), base.with_name(base.name + ".yaml")):
        if candidate.is_file():
            return candidate
    return None


@functools.lru_cache(maxsize=None)
def git_ignored(rel):
    return subprocess.run(["git", "-C", str(REPO), "check-ignore", "-q", "--no-index", rel],
                          check=False).returncode == 0


def clean(word):
    """A word as a repository-relative path would read: $PWD/ and ./ dropped."""
    word = re.sub(r"^(\$PWD|\$\{PWD\})/", "", word)
    return word[2:] if word.startswith("./") else word


def repo_path(word):
    """The repository-relative path a word names, or None when it names none."""
    word = clean(word)
    if not word or "$" in word or word.startswith(("-", "/", "~")):
        return None
    if (REPO / word).exists() or ("/" in word and ((REPO / word.split("/", 1)[0]).exists() or git_ignored(word))):
        return word
    return None


def bash_blocks():
    return re.findall(r"^```bash\n(.*?)^```", README.read_text(encoding="utf-8"), re.M | re.S)


def split_commands(block):
    """Simple commands of a block: continuations joined, comments dropped, split at ; && || | &."""
    text = block.replace("\\\n", " ")
    commands = []
    for line in text.splitlines():
        line = re.sub(r"(^|\s)#.*$", "", line)
        lexer = shlex.shlex(line, posix=True, punctuation_chars=";&|")
        lexer.whitespace_split = True
        lexer.commenters = ""
        words = []
        for token in lexer:
            if token in SEPARATORS:
                commands.append(words)
                words = []
            else:
                words.append(token)
        commands.append(words)
    return [c for c in commands if c]


def readme_commands():
    """(block number, words, venvs active at that point) for every command; activation lasts to the block's end."""
    found = []
    for number, block in enumerate(bash_blocks(), 1):
        active = set()
        for words in split_commands(block):
            found.append((number, words, frozenset(active)))
            if words[0] in ("source", ".") and len(words) > 1:
                active.update(v for v in VENVS if clean(words[1]) == f"{v}/bin/activate")
            if words[0] == "export":  # export PATH=$PWD/.venv/bin:$PATH activates too
                entries = [clean(e) for w in words[1:] if w.startswith("PATH=") for e in w[5:].split(":")]
                active.update(v for v in VENVS if f"{v}/bin" in entries)
    return found


def problems(words, active):
    """What does not resolve in one command ([] when all does)."""
    out = []
    # Leading NAME=value words are assignments for the command.
    while words and re.match(r"^[A-Za-z_]\w*=", words[0]):
        words = words[1:]
    if not words:
        return out
    head, args = words[0], words[1:]
    # Every word that names a file of the repository: it exists, or git ignores it (the set-up makes it).
    for word in words:
        for part in [word] + ([word.split("=", 1)[1]] if "=" in word else []):
            rel = repo_path(part)
            if rel and not (REPO / rel).exists() and not git_ignored(rel):
                out.append(f"{part}: no such file in the repository")
    out += resolve_program(head, active)
    if head == "make":
        targets = makefile_targets()
        out += [f"make {a}: no such target in the Makefile" for a in args
                if not a.startswith("-") and "=" not in a and a not in targets]
    elif Path(head).name == "ansible-playbook":
        skip = False
        for arg in args:
            if skip:
                skip = False
            elif arg in PLAYBOOK_VALUE_OPTS:
                skip = True
            elif not arg.startswith("-") and not (REPO / arg).is_file() and not collection_playbook(arg):
                out.append(f"ansible-playbook {arg}: neither a file nor a playbook of {COLLECTION}")
    elif head in ("bash", "sh", "python", "python3") and args and args[0] not in ("-c", "-m"):
        if not args[0].startswith("-") and not (REPO / args[0]).is_file() and not Path(args[0]).is_file():
            out.append(f"{head} {args[0]}: no such file")
    return out


def resolve_program(head, active):
    if head in BUILTINS:
        return []
    if "/" in head:  # a path: a venv's bin/ (its requirements must provide it) or a file of the repository
        rel = repo_path(head)
        for venv in VENVS:
            if rel and rel.startswith(f"{venv}/bin/"):
                return [] if venv_provides(venv, rel.rsplit("/", 1)[1]) else [
                    f"{head}: the requirements of {venv} install no such program"]
        return [] if (REPO / (rel or head)).is_file() or Path(head).is_file() else [f"{head}: no such file"]
    for venv in VENVS:
        if head not in VENV_BASICS and venv_provides(venv, head):
            return [] if venv in active else [
                f"{head} is in {venv}/bin only: the block must `source {venv}/bin/activate` first (or call "
                f"{venv}/bin/{head})"]
    if SYSTEM_COMMANDS.get(head) in bootstrap_apt() or shutil.which(head, path=system_path()):
        return []
    return [f"{head}: no such command (no requirement of {', '.join(VENVS)} provides it, not on PATH)"]


COMMANDS = readme_commands()


def test_the_readme_has_commands():
    assert len(COMMANDS) >= 5, COMMANDS
    assert any(c[1][0] == "openstack" for c in COMMANDS), "the lab's `openstack server list` went missing"


@pytest.mark.parametrize(("block", "words", "active"), COMMANDS,
                         ids=[f"block{c[0]}: {' '.join(c[1])}" for c in COMMANDS])
def test_readme_command_resolves(block, words, active):
    assert problems(words, active) == [], f"README.md, bash block {block}: {' '.join(words)}"


def test_collection_playbooks_map_as_ansible_does():
    assert collection_playbook("gpt371.infra.site") == REPO / "playbooks/site.yml"
    assert collection_playbook("gpt371.infra.verify.yml") == REPO / "playbooks/verify.yml"
    assert collection_playbook("gpt371.infra.nothing") is None
    assert collection_playbook("other.coll.site") is None


def test_the_checker_catches_what_it_should():
    assert problems(["make", "no-such-target"], frozenset())
    assert problems(["ansible-playbook", "playbooks/nope.yml"], frozenset({".venv"}))
    assert problems(["ansible-playbook", "playbooks/verify.yml"], frozenset())  # venv not active
    assert not problems(["ansible-playbook", "gpt371.infra.site", "-e", "a=b"], frozenset({".venv"}))
    assert problems(["bash", "scripts/nope.sh"], frozenset())
    assert problems(["surely-no-such-command-371"], frozenset())
    assert problems(["export", "F=$PWD/scripts/nope.sh"], frozenset())
    assert not problems(["export", "F=$PWD/lab/.state/clouds.yaml"], frozenset())  # made by the lab, ignored
    assert not problems([".venv/bin/openstack", "server", "list"], frozenset())
