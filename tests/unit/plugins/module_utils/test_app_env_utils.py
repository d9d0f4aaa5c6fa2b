"""_app_env: the values, checks, quoting and masked diff of the app_env role (no Ansible run)."""
from ansible_collections.gpt371.infra.plugins.module_utils import _app_env
from ansible_collections.gpt371.infra.plugins.filter.dotenv import dotenv

KEY_VARS = {"DB_HOST": "app_env_db_host", "DB_PASSWORD": "app_env_db_password", "AGENT_COUNT": "app_env_agent_replicas"}
OUTPUT_KEYS = {"DB_HOST": "supabase_instance_ip"}


def test_a_non_empty_variable_wins_and_an_empty_one_takes_the_output():
    outputs = {"supabase_instance_ip": {"value": "10.0.0.5", "sensitive": False}}
    given = {"DB_HOST": "", "DB_PASSWORD": "pw", "AGENT_COUNT": 3}
    values = _app_env.compose_values(given, {"EXTRA": "x"}, outputs, OUTPUT_KEYS)
    assert values == {"DB_HOST": "10.0.0.5", "DB_PASSWORD": "pw", "AGENT_COUNT": "3", "EXTRA": "x"}
    assert list(values) == ["DB_HOST", "DB_PASSWORD", "AGENT_COUNT", "EXTRA"]
    assert _app_env.compose_values({"DB_HOST": "db"}, {}, {"supabase_instance_ip": "flat"}, OUTPUT_KEYS) == {
        "DB_HOST": "db"}
    assert _app_env.compose_values({"DB_HOST": None}, {}, {"supabase_instance_ip": "flat"}, OUTPUT_KEYS) == {
        "DB_HOST": "flat"}


def test_missing_values_name_the_key_the_variable_and_the_output_never_a_value():
    errors = _app_env.errors({"DB_HOST": "", "DB_PASSWORD": "", "AGENT_COUNT": "3", "X": ""},
                             ["DB_HOST", "DB_PASSWORD", "X"], KEY_VARS, OUTPUT_KEYS)
    assert errors == ["app_env: no value for DB_HOST (variable app_env_db_host, or output supabase_instance_ip in "
                      "app_env_outputs_file), DB_PASSWORD (variable app_env_db_password), X (variable app_env_extra)."
                      " Nothing was written."]
    assert _app_env.errors({"DB_HOST": "h"}, ["DB_HOST"], KEY_VARS) == []


def test_line_breaks_and_unquotable_values_are_refused_by_key():
    secret = "s3cr$HOME\\\\"
    errors = _app_env.errors({"A": "one\ntwo", "B": secret, "C": "$HOME ok", "D": "a\\\\b"}, [], {})
    assert len(errors) == 2
    assert "the value of A holds a line break" in errors[0]
    assert "the value of B cannot be written" in errors[1]
    assert all(secret not in e and "one\ntwo" not in e for e in errors)


def test_each_value_takes_the_first_quoting_form_that_fits_and_reads_back():
    values = {"BARE": "a.b:c@d", "LIT": "va lue #1 $x", "DQ": "it's a \\ \"", "SQ": "it's $HOME", "EMPTY": ""}
    text = _app_env.render(values)
    assert text.splitlines() == [_app_env.HEADER, "BARE=a.b:c@d", "LIT='va lue #1 $x'", 'DQ="it\'s a \\\\ \\""',
                                 "SQ='it\\'s $HOME'", "EMPTY="]
    assert dotenv(text) == values


def test_mask_hides_secret_values_and_marks_the_changed_ones():
    old = "# h\nA=1\nPW=old\nK=same\n"
    new = "# h\nA=2\nPW=new\nK=same\n"
    assert _app_env.mask(old, ["PW", "K"]) == "# h\nA=1\nPW=<secret>\nK=<secret>\n"
    assert _app_env.mask(new, ["PW", "K"], old) == "# h\nA=2\nPW=<secret, changed>\nK=<secret>\n"
    assert _app_env.mask(new, ["PW"], "") == "# h\nA=2\nPW=<secret, changed>\nK=same\n"


def test_drift_names_added_changed_and_removed_keys():
    assert _app_env.drift("# h\nA=1\nB=2\n", "# x\nA=1\nB=3\nC=4\n", []) == {
        "added": [], "changed": ["B"], "removed": ["C"]}
    assert _app_env.drift("A=1\n", None, []) == {"added": ["A"], "changed": [], "removed": []}
    assert _app_env.drift("A=1\n", "A=1\n", []) == {"added": [], "changed": [], "removed": []}


def test_inventory_gives_the_cloud_addresses_and_a_variable_still_wins():
    """issue 14: DB_HOST and XPIPE_HOST from the inventory (the cloud), not from a file an earlier run left."""
    from ansible_collections.gpt371.infra.plugins.module_utils import _app_env
    groups = {'database': ['p-supabase'], 'xpipe': ['p-xpipe'], 'core': []}
    hostvars = {'p-supabase': {'gpt371_private_v4': '10.0.0.6', 'ansible_host': '10.0.0.6'},
                'p-xpipe': {'ansible_host': '10.0.0.7'}}
    found = _app_env.inventory_values({'DB_HOST': 'database', 'XPIPE_HOST': 'xpipe', 'API_HOST': 'core'},
                                      groups, hostvars)
    assert found == {'DB_HOST': '10.0.0.6', 'XPIPE_HOST': '10.0.0.7'}
    outputs = {'supabase_instance_ip': {'value': '10.9.9.9'}, 'xpipe_instance_ip': {'value': '10.9.9.8'}}
    keys = {'DB_HOST': 'supabase_instance_ip', 'XPIPE_HOST': 'xpipe_instance_ip'}
    values = _app_env.compose_values({'DB_HOST': '', 'XPIPE_HOST': 'db.internal'}, None, outputs, keys, found)
    assert values == {'DB_HOST': '10.0.0.6', 'XPIPE_HOST': 'db.internal'}
    assert _app_env.compose_values({'DB_HOST': ''}, None, outputs, keys, {}) == {'DB_HOST': '10.9.9.9'}


def test_plan_reads_the_outputs_file_composes_checks_and_renders_in_one_step(tmp_path):
    outputs = tmp_path / "outputs.json"
    outputs.write_text('{"supabase_instance_ip": {"value": "10.0.0.5", "sensitive": false}}')
    given = {"DB_HOST": "", "DB_PASSWORD": "pw", "AGENT_COUNT": 3}
    planned = _app_env.plan(given, {}, str(outputs), OUTPUT_KEYS, None, ["DB_HOST", "DB_PASSWORD"], KEY_VARS)
    assert planned["errors"] == [] and planned["values"]["DB_HOST"] == "10.0.0.5"
    assert planned["content"] == _app_env.render(planned["values"]) and "DB_HOST=10.0.0.5\n" in planned["content"]
    # The inventory's address wins over the export's; no outputs file at all is fine when nothing needs it.
    assert _app_env.plan(given, {}, str(outputs), OUTPUT_KEYS, {"DB_HOST": "10.0.0.9"})["values"]["DB_HOST"] == \
        "10.0.0.9"
    assert _app_env.plan({"DB_HOST": "db"}, {}, "", OUTPUT_KEYS, None, ["DB_HOST"], KEY_VARS)["errors"] == []
    # A value that must not be written: errors, and no text to write.
    missing = _app_env.plan({"DB_HOST": "", "DB_PASSWORD": "pw"}, {}, "", OUTPUT_KEYS, None, ["DB_HOST"], KEY_VARS)
    assert missing["content"] == "" and "no value for DB_HOST" in missing["errors"][0]


def test_plan_names_an_outputs_file_that_is_missing_or_not_an_export_never_its_content(tmp_path):
    for text, words in ((None, "is not a file on the controller"), ("{not json s3cret", "is not JSON (Expecting"),
                        ('["s3cret"]', "is not an outputs export")):
        path = tmp_path / "outputs.json"
        if text is not None:
            path.write_text(text)
        planned = _app_env.plan({"DB_HOST": "db"}, {}, str(path), OUTPUT_KEYS, None, ["DB_HOST"], KEY_VARS)
        assert planned["content"] == "" and len(planned["errors"]) == 1, planned
        assert planned["errors"][0].startswith("app_env_outputs_file: %s " % path) and words in planned["errors"][0]
        assert "s3cret" not in planned["errors"][0]
