"""Each credential type's injector, rendered as AWX renders it, sets exactly the variables the code reads."""
import ast
import glob
import os
import re

import pytest

from awx_injection import env_var_allowed, render_injectors
from conftest import REPO

PROBES = ("pg_probe", "s3_probe", "xpipe_health")
# Where each probe's argument_spec lives (the module files hold the docs; host_probes shares the classes).
SPEC_FILES = {"pg_probe": "_pg_probe.py", "s3_probe": "_s3_probe.py", "xpipe_health": "_xpipe_probe.py"}
# A value no template engine must touch: AWX renders the template, never the value.
NASTY = "p{{ w }}{% raw %}'\"$HOME`x`\\n ü"


def _module_env(module):
    """{env var: no_log?} from the module's argument_spec (env_fallback lists), read from its source."""
    with open(os.path.join(REPO, "plugins", "module_utils", SPEC_FILES[module]), encoding="utf-8") as fh:
        tree = ast.parse(fh.read())
    found = {}
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and getattr(node.func, "id", None) == "dict"):
            continue
        kwargs = {k.arg: k.value for k in node.keywords if k.arg}
        fallback = kwargs.get("fallback")
        if not isinstance(fallback, ast.Tuple) or getattr(fallback.elts[0], "id", None) != "env_fallback":
            continue
        no_log = isinstance(kwargs.get("no_log"), ast.Constant) and kwargs["no_log"].value is True
        names = [e.value for e in fallback.elts[1].elts]
        found.update({name: no_log for name in names})
        found.setdefault("__first__", []).append((names[0], no_log))
    return found


@pytest.fixture(scope="module")
def module_env():
    return {m: _module_env(m) for m in PROBES}


@pytest.fixture(scope="module")
def controller_env():
    """Env vars the roles read on the controller: lookup('ansible.builtin.env', 'NAME')."""
    names = set()
    for path in glob.glob(os.path.join(REPO, "roles", "*", "defaults", "*.yml")):
        with open(path, encoding="utf-8") as fh:
            names |= set(re.findall(r"lookup\(\s*'(?:ansible\.builtin\.)?env'\s*,\s*'(\w+)'", fh.read()))
    return names


def _readable(module_env):
    return {name for env in module_env.values() for name in env if name != "__first__"}


def test_the_sources_were_parsed(module_env, controller_env):
    assert module_env["pg_probe"]["DB_PASSWORD"] is True
    assert module_env["s3_probe"]["STORAGE_ENDPOINT"] is False
    assert {"DB_PASSWORD", "STORAGE_ACCESS_KEY", "STORAGE_SECRET_KEY", "XPIPE_API_KEY"} <= controller_env


def _full_inputs(credential_type):
    return {f["id"]: NASTY + f["id"] for f in credential_type["inputs"]["fields"]}


@pytest.mark.parametrize("name", ["371GPT database", "371GPT object storage", "371GPT XPipe API key"])
def test_injector_sets_only_what_is_read(assets, module_env, controller_env, tmp_path, name):
    (ctype,) = [ct for ct in assets["credential_types"] if ct["name"] == name]
    inputs = _full_inputs(ctype)
    env, extra_vars, files = render_injectors(ctype, inputs, str(tmp_path))
    assert env and not extra_vars and not files
    assert all(env_var_allowed(k) for k in ctype["injectors"]["env"]), "AWX would drop some of these"
    readable = _readable(module_env) | controller_env
    assert set(env) <= readable, "injected but read by nothing: %s" % sorted(set(env) - readable)
    secret_inputs = {f["id"] for f in ctype["inputs"]["fields"] if f.get("secret")}
    probe_secrets = {k for m in module_env.values() for k, no_log in m.items() if k != "__first__" and no_log}
    for var, value in env.items():
        (source,) = [i for i, v in inputs.items() if v == value]  # each variable carries one input verbatim
        if source in secret_inputs:
            assert var in probe_secrets | controller_env, "%s holds a secret but lands in %s" % (source, var)


def test_together_they_set_every_secret_the_code_reads(assets, module_env, controller_env, tmp_path):
    injected = {}
    for ctype in assets["credential_types"]:
        env, _extra, _files = render_injectors(ctype, _full_inputs(ctype), str(tmp_path))
        injected.update(env)
    with open(os.path.join(REPO, "roles", "app_env", "defaults", "main.yml"), encoding="utf-8") as fh:
        wanted = set(re.findall(r"lookup\(\s*'(?:ansible\.builtin\.)?env'\s*,\s*'(\w+)'", fh.read()))
    assert wanted <= controller_env
    for env in module_env.values():  # the 371GPT name (not the AWS_* alias) of every secret option
        wanted |= {first for first, no_log in env["__first__"] if no_log and not first.startswith("AWS_")}
    # The secrets, and DB_USER (not secret: the roles read it so that a job without the variables gets it).
    assert wanted == {"DB_USER", "DB_PASSWORD", "STORAGE_ACCESS_KEY", "STORAGE_SECRET_KEY", "XPIPE_API_KEY"}
    assert wanted <= set(injected)
    assert {"DB_USER", "STORAGE_ENDPOINT"} <= set(injected)


def test_optional_inputs_render_empty(assets, tmp_path):
    """An optional input left empty injects an empty string (AWX sets every env key); s3_probe reads
    an empty STORAGE_ENDPOINT as "AWS S3 itself"."""
    (ctype,) = [ct for ct in assets["credential_types"] if ct["name"] == "371GPT object storage"]
    env, _extra, _files = render_injectors(ctype, {"access_key": "a", "secret_key": "s"}, str(tmp_path))
    assert env == {"STORAGE_ACCESS_KEY": "a", "STORAGE_SECRET_KEY": "s", "STORAGE_ENDPOINT": ""}
    # The probe's client, given that empty endpoint, talks to AWS S3 (virtual-host style), not to "".
    from ansible_collections.gpt371.infra.plugins.module_utils._s3 import S3Client
    client = S3Client(env["STORAGE_ENDPOINT"], "eu-west-1", "a", "s")
    assert (client.scheme, client.hostname, client.path_style) == ("https", "s3.eu-west-1.amazonaws.com", False)
