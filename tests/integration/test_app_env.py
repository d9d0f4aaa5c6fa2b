"""gpt371.infra.app_env against a scratch directory on localhost (real ansible-playbook runs).

What the role promises and these tests check: the guide's keys from a `terraform output -json`-shaped
file plus secrets from vars or the controller environment; mode 0600; a second run changes nothing;
`-vvv --diff` names the keys that change but never prints a secret value; a missing DB_PASSWORD fails
before anything is written and leaves the old file as it was.
"""
import base64
import json
import re
import secrets
import stat

import pytest

PLAYBOOK = "tests/integration/app_env/write_env.yml"
GUIDE_KEYS = ["DB_HOST", "DB_PORT", "DB_NAME", "DB_USER", "DB_PASSWORD", "STORAGE_ENDPOINT",
              "STORAGE_ACCESS_KEY", "STORAGE_SECRET_KEY", "STORAGE_BUCKET", "XPIPE_HOST", "XPIPE_PORT",
              "XPIPE_API_KEY", "AGENT_COUNT"]
SECRET_ENV = ["DB_PASSWORD", "STORAGE_ACCESS_KEY", "STORAGE_SECRET_KEY", "XPIPE_API_KEY"]
# The role's secret defaults read these from the controller environment: keep the caller's out.
CLEAN_ENV = {name: "" for name in SECRET_ENV}


def _outputs(path):
    """A file shaped like `terraform output -json`, with the extra outputs real files carry."""
    data = {
        "supabase_instance_ip": {"sensitive": False, "type": "string", "value": "10.30.0.11"},
        "xpipe_instance_ip": {"sensitive": False, "type": "string", "value": "10.30.0.12"},
        "storage_endpoint": {"sensitive": False, "type": "string", "value": "https://s3.example.test:9000"},
        "database_user": {"sensitive": False, "type": "string", "value": "gpt371_app"},
        "database_password": {"sensitive": True, "type": "string", "value": "tf-output-" + secrets.token_hex(8)},
        "agent_ips": {"sensitive": False, "type": ["list", "string"], "value": ["10.30.0.21", "10.30.0.22"]},
    }
    path.write_text(json.dumps(data, indent=2))
    return data


def _secrets():
    # One value needs quoting (space, '#', '$'): the quoted form must not leak either.
    return {
        "app_env_db_password": f"pw {secrets.token_hex(6)} #${{x}}",
        "app_env_storage_access_key": "AK" + secrets.token_hex(8).upper(),
        "app_env_storage_secret_key": secrets.token_urlsafe(24),
        "app_env_xpipe_api_key": "xp-" + secrets.token_hex(12),
    }


def _parse(env_file):
    values = {}
    for line in env_file.read_text().splitlines():
        if not line or line.startswith("#"):
            continue
        key, value = line.split("=", 1)
        if len(value) >= 2 and value[0] == value[-1] == "'":
            value = value[1:-1]
        values[key] = value
    return values


def _changed(output):
    m = re.search(r"localhost\s*:\s*ok=\d+\s+changed=(\d+)", output)
    assert m, output[-3000:]
    return int(m.group(1))


def _assert_no_secret(output, secret_values, env_file=None):
    for value in secret_values:
        assert value not in output, "a secret value appears in the ansible output"
        assert base64.b64encode(value.encode()).decode() not in output
    if env_file is not None:
        assert base64.b64encode(env_file.read_bytes()).decode() not in output


@pytest.fixture
def scratch(tmp_path):
    outputs = tmp_path / "outputs.json"
    data = _outputs(outputs)
    base = {"app_env_dir": str(tmp_path / "app"), "app_env_outputs_file": str(outputs)}
    return tmp_path, data, base


def test_writes_guide_keys_0600_and_is_idempotent(run_playbook, scratch):
    tmp_path, data, base = scratch
    sec = _secrets()
    first = run_playbook(PLAYBOOK, {**base, **sec}, env=CLEAN_ENV)
    assert first.returncode == 0, first.output[-3000:]
    env_file = tmp_path / "app" / ".env"
    assert stat.S_IMODE(env_file.stat().st_mode) == 0o600
    values = _parse(env_file)
    assert list(values) == GUIDE_KEYS
    assert values == {
        "DB_HOST": "10.30.0.11", "DB_PORT": "5432", "DB_NAME": "371gpt", "DB_USER": "gpt371_app",
        "DB_PASSWORD": sec["app_env_db_password"], "STORAGE_ENDPOINT": "https://s3.example.test:9000",
        "STORAGE_ACCESS_KEY": sec["app_env_storage_access_key"],
        "STORAGE_SECRET_KEY": sec["app_env_storage_secret_key"], "STORAGE_BUCKET": "371gpt-assets",
        "XPIPE_HOST": "10.30.0.12", "XPIPE_PORT": "8080", "XPIPE_API_KEY": sec["app_env_xpipe_api_key"],
        "AGENT_COUNT": "3",
    }
    # The sensitive Terraform output is not used: secrets come from vars only.
    assert data["database_password"]["value"] not in env_file.read_text()
    before = env_file.stat()
    second = run_playbook(PLAYBOOK, {**base, **sec}, env=CLEAN_ENV)
    assert second.returncode == 0, second.output[-3000:]
    assert _changed(second.output) == 0
    assert env_file.stat().st_mtime_ns == before.st_mtime_ns


def test_vvv_diff_names_changed_keys_but_no_secret(run_playbook, scratch):
    tmp_path, _vars_file, base = scratch
    old, new = _secrets(), _secrets()
    env_file = tmp_path / "app" / ".env"
    first = run_playbook(PLAYBOOK, {**base, **old}, verbosity=3, diff=True, env=CLEAN_ENV)
    assert first.returncode == 0, first.output[-3000:]
    _assert_no_secret(first.output, old.values(), env_file)
    assert "+DB_PASSWORD=<secret, changed>" in first.output  # new file: every key shows as added

    # Change one secret and one plain value; the other secrets stay.
    changed = {**old, "app_env_db_password": new["app_env_db_password"]}
    second = run_playbook(PLAYBOOK, {**base, **changed, "app_env_xpipe_port": 8081}, verbosity=3, diff=True,
                          env=CLEAN_ENV)
    assert second.returncode == 0, second.output[-3000:]
    _assert_no_secret(second.output, list(old.values()) + [new["app_env_db_password"]], env_file)
    assert "-DB_PASSWORD=<secret>" in second.output
    assert "+DB_PASSWORD=<secret, changed>" in second.output
    assert "-XPIPE_PORT=8080" in second.output and "+XPIPE_PORT=8081" in second.output
    assert " STORAGE_SECRET_KEY=<secret>" in second.output  # unchanged secret: context line, masked
    assert "STORAGE_SECRET_KEY=<secret, changed>" not in second.output
    assert _parse(env_file)["DB_PASSWORD"] == new["app_env_db_password"]
    assert stat.S_IMODE(env_file.stat().st_mode) == 0o600


def test_secrets_from_controller_environment(run_playbook, scratch):
    """AWX credentials may inject the secrets as environment variables instead of extra vars."""
    tmp_path, _vars_file, base = scratch
    sec = _secrets()
    env = {"DB_PASSWORD": sec["app_env_db_password"], "STORAGE_ACCESS_KEY": sec["app_env_storage_access_key"],
           "STORAGE_SECRET_KEY": sec["app_env_storage_secret_key"], "XPIPE_API_KEY": sec["app_env_xpipe_api_key"]}
    result = run_playbook(PLAYBOOK, base, verbosity=3, diff=True, env=env)
    assert result.returncode == 0, result.output[-3000:]
    values = _parse(tmp_path / "app" / ".env")
    assert values["DB_PASSWORD"] == sec["app_env_db_password"]
    assert values["XPIPE_API_KEY"] == sec["app_env_xpipe_api_key"]
    _assert_no_secret(result.output, sec.values(), tmp_path / "app" / ".env")


def test_missing_db_password_fails_before_writing(run_playbook, scratch):
    tmp_path, _vars_file, base = scratch
    sec = _secrets()
    env_file = tmp_path / "app" / ".env"

    # No file yet: the failed run creates neither the file nor its directory.
    fresh = run_playbook(PLAYBOOK, {**base, **sec, "app_env_db_password": ""}, env=CLEAN_ENV)
    assert fresh.returncode != 0
    assert "DB_PASSWORD" in fresh.output and "app_env_db_password" in fresh.output
    assert not (tmp_path / "app").exists()

    ok = run_playbook(PLAYBOOK, {**base, **sec}, env=CLEAN_ENV)
    assert ok.returncode == 0, ok.output[-3000:]
    content, before = env_file.read_bytes(), env_file.stat()

    failed = run_playbook(PLAYBOOK, {**base, **sec, "app_env_db_password": "", "app_env_xpipe_port": 9999},
                          verbosity=3, diff=True, env=CLEAN_ENV)
    assert failed.returncode != 0
    assert "no value for DB_PASSWORD (variable app_env_db_password)" in failed.output
    assert "Nothing was written" in failed.output
    assert env_file.read_bytes() == content
    assert env_file.stat().st_mtime_ns == before.st_mtime_ns
    _assert_no_secret(failed.output, sec.values(), env_file)
