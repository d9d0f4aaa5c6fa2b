"""The .env as compose reads it (issue 13): four readers, one reading.

A generated corpus of values (every printable ASCII character alone, inside a value and doubled; spaces, `$`, `#`,
both quotes, backslashes, control characters, non-ASCII, Jinja- and YAML-looking text) is written by the real
app_env role (ansible-playbook on localhost), then read by:

  1. `docker compose config` through a service's `env_file: .env`,
  2. `docker compose config` through `${KEY}` in the compose file (the project .env),
  3. python-dotenv's `dotenv_values()` (interpolate=False: the file as written; its default is checked too),
  4. the gpt371.infra.dotenv filter, run by Ansible on the slurped file as the verify role does.

Every value must come back byte for byte from all four. Values no .env line can carry for compose and python-dotenv
alike are refused before anything is written, naming the key and never showing the value. A last test compares the
filter with compose on hand-written .env files (comments, escapes, interpolation, errors), not only on app_env's.
"""
import importlib.util
import json
import os
import re
import shutil
import subprocess

import pytest

try:
    import dotenv as dotenv_lib  # python-dotenv: only the reader of the corpus tests
except ImportError:
    dotenv_lib = None
needs_python_dotenv = pytest.mark.skipif(dotenv_lib is None, reason="needs python-dotenv")

pytestmark = pytest.mark.skipif(
    shutil.which("docker") is None
    or subprocess.run(["docker", "compose", "version"], capture_output=True, check=False).returncode != 0,
    reason="needs the docker CLI with the compose v2 plugin")

# The role's secret defaults read these from the controller environment: keep the caller's out.
CLEAN_ENV = {name: "" for name in ("DB_PASSWORD", "STORAGE_ACCESS_KEY", "STORAGE_SECRET_KEY", "XPIPE_API_KEY")}
# python-dotenv's own pattern (dotenv/variables.py): with interpolate=True it expands these in every value,
# quoted or not, single quotes included.
DOTENV_INTERPOLATION = re.compile(r"\$\{[^}:]*(?::-[^}]*)?\}")
# Guide keys given corpus-like values through their own variables (the secret path, not app_env_extra).
GUIDE_VALUES = {
    "app_env_db_password": "p'w \"{{ not jinja }}\" \\ $1 #x",
    "app_env_storage_access_key": "AK-plain_value.1",
    "app_env_storage_secret_key": "s e c r e t ${x} \\n",
    "app_env_xpipe_api_key": "$HOME'\\x ſ",
}


def build_corpus():
    """The values, deduplicated in order. Every one must be written and read back unchanged."""
    values = []
    printable = [chr(c) for c in range(0x20, 0x7F)]
    for c in printable:
        values += [c, "a%sb" % c, c + c, " %s " % c, "$%s" % c, "\\%s" % c, "%s'" % c]
    values += [
        # spaces and comments
        "", "  ", " a", "a ", "a  b", "\t", " \t ", "a\tb", "a #b", "a#b", "#a", "# a", "a # b", "a\t#b", "a #",
        "KEY=value # comment", "= a", "a=", "a=b=c", ": a", "a: b", "export A=1",
        # dollars: literal for every reader, in whichever form the role picks
        "$", "$$", "$$$", "$a", "$A", "$_", "$_a", "${A}", "${A:-x}", "${A-x}", "${A:+x}", "${A+x}", "${A:?e}",
        "${A?e}", "${", "${}", "$}", "$1", "$ ", "a$", "$(id)", "$-", "$\\", "\\$", "\\$A", "$\"", "$'", "$#",
        "pw ${x}", "$HOME", "${HOME}", "$$HOME", "$ſ", "$K", "$\u0130", "$\u0131", "$é", "a$b$c", "100$",
        # quotes
        "'", '"', "''", '""', "'''", "it's", 'say "hi"', "'a'", '"a"', "a'b\"c", "'\"", "\"'", "\\'", '\\"',
        "a'", "'a", "a\"", "\"a", "' #", "\" #", "'$A'", "\"$A\"", "it's $HOME", "'${A}'", "\"${A}\"",
        # backslashes
        "\\", "\\\\", "\\\\\\", "a\\", "a\\\\", "a\\\\b", "\\n", "\\t", "\\r", "\\0101", "\\x41", "\\u0041",
        "\\a\\b\\c\\f\\v", "C:\\Users\\x", "\\\\server\\share", "a\\'b", "a\\\"b", "\\$\\$", "`ls`", "$(ls)",
        # dollar with backslashes that single quotes can carry
        "$A\\x", "$A'\\x", "${A}\\x'y", "\\x$A", "$$ \\q",
        # control characters other than line breaks, non-ASCII, line separators Python's splitlines() knows
        "\x00", "a\x00b", "\x01", "\x07", "\x08", "\x0b", "\x0c", "\x1b[0m", "\x1c", "\x1d", "\x1e", "\x1f", "\x7f",
        "é", "naïve café", "日本語", "😀", "ſ", "K", "Ω≈ç√", "\u00a0", "a\u00a0", "\u00a0a", "\u0085",
        "a\u0085",
        "\u2028", "a\u2028b", "\u2029", "\ufeff", "a\ufeff", "\u200b", "\u3000a\u3000", "é'\"\\$ſ",
        # Jinja and YAML look-alikes (passed as !unsafe, like AWX credentials)
        "{{ x }}", "{% raw %}", "{#", "}}", "{{", "{{ lookup('env', 'HOME') }}", "True", "yes", "null", "~",
        "1e3", "0x10", "007", "[1, 2]", "{\"a\": 1}", "-", "- a", "!x", "&a", "*a", "%a", "@a", " 5 ",
        # long and mixed
        "x" * 300, "p@ss w0rd!#$%^&*()_+-=[]{}|;:,.<>/?~`'\"\\", "$A'\"\\x ${B} ſ é \t#",
    ]
    seen, corpus = set(), []
    for value in values:
        if value not in seen:
            seen.add(value)
            corpus.append(value)
    return corpus


# Refused: a line break; or a $ that compose expands together with a backslash single quotes cannot carry alike.
REFUSED_LINE_BREAK = {"R_LF": "Zq9tok-lf\nvalue", "R_CR": "Zq9tok-cr\rvalue", "R_CRLF": "Zq9tok-crlf\r\n",
                      "R_LF_END": "Zq9tok-end\n"}
REFUSED_UNQUOTABLE = {"R_DOUBLED": "$Zq9tok\\\\x", "R_LAST": "${Zq9tok}\\", "R_QUOTE": "$$Zq9tok\\'",
                      "R_BRACE": "x${Zq9tok}\\\\"}


def _yaml_scalar(value):
    """A YAML double-quoted scalar holding exactly `value` (PyYAML reads \\x, \\u and \\U escapes). One holding
    a brace is tagged !unsafe, as AWX passes credentials, so Ansible does not template it (ansible-core 2.21 cannot
    tag every scalar: `!unsafe "!"` fails to load)."""
    out = []
    for char in value:
        code = ord(char)
        if char in '"\\':
            out.append("\\" + char)
        elif 0x20 <= code <= 0x7E or (0xA0 <= code <= 0xD7FF and code != 0x2028 and code != 0x2029) or \
                (0xE000 <= code <= 0xFFFD and code != 0xFEFF):
            out.append(char)
        elif code <= 0xFF:
            out.append("\\x%02x" % code)
        elif code <= 0xFFFF:
            out.append("\\u%04x" % code)
        else:
            out.append("\\U%08x" % code)
    return ("!unsafe " if "{" in value else "") + '"' + "".join(out) + '"'


def _write_vars(path, app_dir, out_file, extra, guide=None):
    lines = ["app_env_dir: %s" % json.dumps(str(app_dir)), "app_env_required_keys: []",
             "parity_out: %s" % json.dumps(str(out_file))]
    for name, value in (guide or {}).items():
        lines.append("%s: %s" % (name, _yaml_scalar(value)))
    lines.append("app_env_extra:" + ("" if extra else " {}"))
    for key, value in extra.items():
        lines.append("  %s: %s" % (key, _yaml_scalar(value)))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


PLAYBOOK = """\
- name: app_env writes the corpus, the dotenv filter reads it back as the verify role does
  hosts: localhost
  gather_facts: false
  vars_files:
    - vars.yml
  tasks:
    - name: Apply app_env
      ansible.builtin.include_role:
        name: gpt371.infra.app_env

    - name: Read the .env
      ansible.builtin.slurp:
        src: "{{ app_env_dir }}/.env"
      register: parity_raw
      no_log: true

    - name: Record what the filter reads, and whether the role changed the file
      ansible.builtin.copy:
        content: "{{ {'values': parity_raw.content | b64decode | gpt371.infra.dotenv,
                      'changed': app_env_write.changed} | to_json }}"
        dest: "{{ parity_out }}"
        mode: "0600"
      no_log: true
"""


@pytest.fixture
def role_run(tmp_path, run_playbook):
    (tmp_path / "play.yml").write_text(PLAYBOOK)
    app_dir, out_file = tmp_path / "app", tmp_path / "filter.json"

    def run(extra, guide=None):
        _write_vars(tmp_path / "vars.yml", app_dir, out_file, extra, guide)
        if out_file.exists():
            out_file.unlink()
        result = run_playbook(str(tmp_path / "play.yml"), env=CLEAN_ENV)
        return result, app_dir / ".env", out_file
    return run


def _compose_env():
    """The compose process sees no variable a corpus value could name (its environment wins over the .env)."""
    keep = ("PATH", "HOME", "DOCKER_HOST", "DOCKER_CONFIG", "DOCKER_CONTEXT", "DOCKER_CERT_PATH", "DOCKER_TLS_VERIFY")
    return {k: os.environ[k] for k in keep if k in os.environ}


def _compose_config(project_dir, services):
    """`docker compose config --format json` of `services`; `$` comes back escaped as `$$`, undone here."""
    (project_dir / "compose.yaml").write_text(json.dumps({"services": services}))
    result = subprocess.run(["docker", "compose", "--project-directory", str(project_dir), "-p", "gpt371-parity",
                             "config", "--format", "json"], env=_compose_env(), capture_output=True, timeout=120,
                            check=False)
    if result.returncode != 0:
        return None, result.stderr.decode("utf-8", "replace")
    data = json.loads(result.stdout.decode("utf-8"))
    return {name: {k: (v.replace("$$", "$") if v is not None else None)
                   for k, v in (svc.get("environment") or {}).items()}
            for name, svc in data["services"].items()}, ""


def _b(value):
    return None if value is None else value.encode("utf-8", "surrogatepass")


@needs_python_dotenv
def test_corpus_reads_alike_in_compose_python_dotenv_and_the_filter(role_run):
    corpus = build_corpus()
    extra = {"C%03d" % i: value for i, value in enumerate(corpus)}
    result, env_file, out_file = role_run(extra, GUIDE_VALUES)
    assert result.returncode == 0, result.output[-3000:]

    expected = {"DB_HOST": "", "DB_PORT": "5432", "DB_NAME": "371gpt", "DB_USER": "",
                "DB_PASSWORD": GUIDE_VALUES["app_env_db_password"], "STORAGE_ENDPOINT": "",
                "STORAGE_ACCESS_KEY": GUIDE_VALUES["app_env_storage_access_key"],
                "STORAGE_SECRET_KEY": GUIDE_VALUES["app_env_storage_secret_key"], "STORAGE_BUCKET": "371gpt-assets",
                "XPIPE_HOST": "", "XPIPE_PORT": "8080", "XPIPE_API_KEY": GUIDE_VALUES["app_env_xpipe_api_key"],
                "AGENT_COUNT": "3"}
    expected.update(extra)

    # The role wrote one line per key (plus its header): no value spilled onto another line.
    raw = env_file.read_bytes()
    assert raw.count(b"\n") == len(expected) + 1 and b"\r" not in raw

    # Reader 1 and 2: compose, through env_file and through ${KEY} interpolation of the project .env.
    project = env_file.parent
    services = {"from_env_file": {"image": "none", "env_file": ".env"},
                "from_interpolation": {"image": "none", "environment": {k: "${%s}" % k for k in expected}}}
    compose, error = _compose_config(project, services)
    assert compose is not None, error[-3000:]
    readers = {"compose env_file": compose["from_env_file"], "compose ${VAR}": compose["from_interpolation"]}
    # Reader 3: python-dotenv, reading the file as written.
    readers["python-dotenv"] = dict(dotenv_lib.dotenv_values(str(env_file), interpolate=False))
    # Reader 4: the filter, run by Ansible on the slurped file.
    filtered = json.loads(out_file.read_text(encoding="utf-8"))
    readers["dotenv filter"] = filtered["values"]

    mismatches = []
    for key, want in expected.items():
        for reader, got in readers.items():
            if _b(got.get(key)) != _b(want):
                mismatches.append("%s %s: wrote %r, read %r" % (reader, key, want, got.get(key)))
    for reader, got in readers.items():
        if set(got) != set(expected):
            mismatches.append("%s: keys %r" % (reader, sorted(set(got) ^ set(expected))))
    assert not mismatches, "%d disagreements (corpus of %d values):\n%s" % (
        len(mismatches), len(expected), "\n".join(mismatches[:60]))
    # python-dotenv's default (interpolate=True) also expands `${NAME}` and `${NAME:-default}` in every value,
    # single quotes included; no quoting stops it. Exactly the values holding that pattern read differently there.
    interpolated = dotenv_lib.dotenv_values(str(env_file))
    differ = {key for key, value in expected.items() if interpolated[key] != value}
    pattern = {key for key, value in expected.items() if DOTENV_INTERPOLATION.search(value)}
    assert differ == pattern and len(pattern) >= 10
    print("\ncorpus: %d values, %d bytes of .env, read alike by %d readers; python-dotenv's interpolate=True differs"
          " on the %d holding ${...}" % (len(expected), len(raw), len(readers), len(pattern)))

    # A second run writes nothing: the rendering is stable.
    before = env_file.stat().st_mtime_ns
    again, _env_file, out_file = role_run(extra, GUIDE_VALUES)
    assert again.returncode == 0, again.output[-3000:]
    assert json.loads(out_file.read_text(encoding="utf-8"))["changed"] is False
    assert env_file.read_bytes() == raw and env_file.stat().st_mtime_ns == before


@pytest.mark.parametrize("refused, message", [
    (REFUSED_LINE_BREAK, "holds a line break"),
    (REFUSED_UNQUOTABLE, "cannot be written so that docker compose and python-dotenv read it alike"),
], ids=["line-break", "dollar-and-backslash"])
def test_unwritable_values_are_refused_naming_the_key_not_the_value(role_run, refused, message):
    extra = dict({"OK_VALUE": "it's fine"}, **refused)
    result, env_file, _out = role_run(extra)
    assert result.returncode != 0
    assert message in result.output and "Nothing was written" in result.output
    for key in refused:
        assert key in result.output
    assert "Zq9tok" not in result.output
    assert "OK_VALUE" not in result.output
    assert not env_file.exists() and not env_file.parent.exists()


# Hand-written .env files: the filter must read what compose reads (or fail where compose fails).
HAND_WRITTEN = [
    "KEY=value # comment\n", "KEY=value#not a comment\n", "KEY=value\t# a tab does not start a comment\n",
    "KEY=  spaced   \n", "KEY=\n", "KEY= # only a comment\n", "KEY=#novalue\n", "KEY\n", "KEY=a\nKEY\n",
    'KEY="a # b" # c\n', "KEY='a # b' # c\n", "export KEY=v\n", "export  KEY = v\n", "KEY: v\n", " KEY = v \n",
    "KEY=a\r\nOTHER=b\r\n", "\ufeffKEY=bom\n", "# only\n\n   \n# comments\n", "A=1\n\n# c\nB=2",
    "KEY='a\\\\b'\n", 'KEY="a\\\\b"\n', 'KEY="a\\nb"\n', 'KEY="a\\tb\\rc"\n', 'KEY="\\a\\b\\f\\v\\c\\q"\n',
    'KEY="\\0101\\0\\01\\012\\0400\\0189"\n', "KEY='it\\'s'\n", 'KEY="it\\\'s"\n', 'KEY="say \\"hi\\""\n',
    "KEY='say \"hi\"'\n", 'KEY="it\'s"\n', "KEY='multi\nline'\n", 'KEY="multi\nline"\n', "KEY='a'b\n",
    'KEY="\\$A $$B"\n', "KEY=$$A\n", "KEY='$A ${B}'\n", "KEY=$ a$ $1 $( $-\n", 'KEY="$ſ $K $é"\n',
    "A=1\nB=$A ${A} ${A}x $Ax\n", "A=1\nB=${A:-d} ${A-d} ${A:+s} ${A+s} ${A:?m} ${A?m}\n",
    "A=\nB=${A:-d}|${A-d}|${A:+s}|${A+s}|${A?m}\n", "B=${U:-d}|${U-d}|${U:+s}|${U+s}|${U}|$U\n",
    "A=1\nB=\"${A}\" '${A}'\n", "A=x\nB=${A:-${C:-deep}}\n", "B=${U:-a}b}\n", "B=${U:-{x}}y\n",
    "KEY=é日本😀\n", "KEY=a\u00a0\n", "KEY=\u00a0a\n", "KEY=a\u2028b\n", "KEY='\u2028'\n", "A.b-c[0]=1\n",
    "KEY=a\x0bb\x0c\n", "1KEY=digit\n", "export \n",
    # compose refuses these: so must the filter
    'KEY="unterminated\n', "KEY='unterminated\n", "A B=1\n", "K!=1\n", "B=${U:?need it}\n", "B=${U?}\n",
    "B=${\n", "B=${}\n", "B=${1}\n", 'KEY="a\\"\n',
]


def _unit_cases():
    """The texts of the filter's unit tests (which run without Docker): compose must read them as they say."""
    path = os.path.join(os.path.dirname(__file__), "..", "unit", "plugins", "filter", "test_dotenv.py")
    spec = importlib.util.spec_from_file_location("gpt371_unit_test_dotenv", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return [text for text, _expected in module.READS] + [text for text, _line, _reason in module.REFUSES] + [
        "# header\n" + line + "\n" for _value, line in module.APP_ENV_FORMS]


def test_filter_reads_hand_written_files_as_compose_does(tmp_path):
    from ansible.errors import AnsibleFilterError
    from ansible_collections.gpt371.infra.plugins.filter.dotenv import dotenv

    texts = list(dict.fromkeys(HAND_WRITTEN + _unit_cases()))

    def ours(text):
        try:
            return dotenv(text)
        except AnsibleFilterError:
            return None

    def write(index, text):
        (tmp_path / ("f%03d.env" % index)).write_bytes(text.encode("utf-8"))
        return "f%03d.env" % index

    ok = [(i, t) for i, t in enumerate(texts) if ours(t) is not None]
    refused = [(i, t) for i, t in enumerate(texts) if ours(t) is None]
    services = {"s%03d" % i: {"image": "none", "env_file": write(i, t)} for i, t in ok}
    compose, error = _compose_config(tmp_path, services)
    assert compose is not None, error[-3000:]
    mismatches = ["%r: filter %r, compose %r" % (t, ours(t), compose["s%03d" % i])
                  for i, t in ok if ours(t) != compose["s%03d" % i]]
    for i, t in refused:  # each alone: compose must fail on it too
        alone, _error = _compose_config(tmp_path, {"s": {"image": "none", "env_file": write(i, t)}})
        if alone is not None:
            mismatches.append("%r: filter refuses, compose reads %r" % (t, alone["s"]))
    assert not mismatches, "\n".join(mismatches)
    assert len(refused) >= 10 and len(ok) >= 50
