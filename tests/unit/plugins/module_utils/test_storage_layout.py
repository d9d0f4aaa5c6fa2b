"""_storage_layout: the storage role's buckets, prefixes and lifecycle audit."""
from ansible_collections.gpt371.infra.plugins.module_utils import _storage_layout

AREAS = ["models", "documents", "backups"]


def test_shared_bucket_holds_one_prefix_per_area():
    got = _storage_layout.layout(AREAS, "371gpt-assets")
    assert got == {"area_map": {"models": "371gpt-assets", "documents": "371gpt-assets", "backups": "371gpt-assets"},
                   "buckets": ["371gpt-assets"], "backups_bucket": "371gpt-assets", "backups_prefix": "backups/",
                   "prefixes": ["models/", "documents/", "backups/"]}


def test_separate_buckets_take_the_named_bucket_or_bucket_dash_area():
    got = _storage_layout.layout(AREAS, "v", True, {"models": "v-weights"})
    assert got["area_map"] == {"models": "v-weights", "documents": "v-documents", "backups": "v-backups"}
    assert got["buckets"] == ["v-weights", "v-documents", "v-backups"]
    assert (got["backups_bucket"], got["backups_prefix"], got["prefixes"]) == ("v-backups", "", [])
    assert _storage_layout.layout(["a", "b"], "x", True, {"a": "same", "b": "same"})["buckets"] == ["same"]


def test_errors_name_the_variable_and_never_a_key():
    lay = _storage_layout.layout(["models"], "371gpt-assets")
    assert _storage_layout.errors(lay, "http://s3", "AK", "SK", "backups", 0, "auto") == []
    found = _storage_layout.errors(lay, "", "AKSECRET", "", "backups", 30, "maybe")
    assert [m.split(" ")[1] if m.startswith("set") else m.split(" ")[0] for m in found] == [
        "storage_endpoint_url", "storage_access_key", "name", "storage_lifecycle"]
    assert all("AKSECRET" not in m for m in found)
    bad = _storage_layout.layout(["models"], "Bad_Name")
    assert "Bad_Name" in _storage_layout.errors(bad, "u", "a", "s", "models", 0, "skip")[0]


RULE = {"ID": "r", "Status": "Enabled", "Filter": {"Prefix": "backups/"}, "Expiration": {"Days": 30}}


def test_drift_is_empty_when_the_store_matches():
    lay = _storage_layout.layout(AREAS, "b-1")
    keys = {p: [p] for p in lay["prefixes"]}
    assert _storage_layout.drift(lay, ["b-1", "other"], keys, [RULE], 30, "r", "auto") == []


def test_drift_names_missing_buckets_prefixes_and_a_changed_rule():
    lay = _storage_layout.layout(AREAS, "b-1")
    keys = {"models/": ["models/"], "documents/": [], "backups/": ["backups/x"]}
    rule = dict(RULE, Expiration={"Days": 7})
    assert _storage_layout.drift(lay, ["b-1"], keys, [rule], 30, "r", "auto") == [
        "prefix missing: b-1/documents/", "prefix missing: b-1/backups/",
        "lifecycle rule r on b-1 is Enabled 'backups/' after 7 days, wanted Enabled 'backups/' after 30 days"]
    assert _storage_layout.drift(lay, [], {}, None, 30, "r", "auto") == ["bucket missing: b-1"]
    assert _storage_layout.drift(lay, ["b-1"], {p: [p] for p in lay["prefixes"]}, [], 30, "r", "auto") == [
        "lifecycle rule r missing on b-1"]
    assert _storage_layout.drift(lay, ["b-1"], {p: [p] for p in lay["prefixes"]}, None, 30, "r", "auto") == []
    assert _storage_layout.drift(lay, ["b-1"], {p: [p] for p in lay["prefixes"]}, [], 30, "r", "skip") == []


def test_drift_reads_the_registered_list_loop():
    lay = _storage_layout.layout(["models", "backups"], "b-1")
    registered = {"results": [{"item": "models/", "s3_keys": ["models/"]},
                              {"item": "backups/", "s3_keys": []},
                              {"item": "x/", "skipped": True}]}
    assert _storage_layout.prefix_keys(registered) == {"models/": ["models/"], "backups/": []}
    assert _storage_layout.drift(lay, ["b-1"], registered, None, 0, "r", "auto") == ["prefix missing: b-1/backups/"]
    assert _storage_layout.drift(lay, ["b-1"], {"skipped": True, "results": []}, None, 0, "r", "auto") == [
        "prefix missing: b-1/models/", "prefix missing: b-1/backups/"]


def test_drift_reads_the_registered_lifecycle_info():
    lay = _storage_layout.layout(["backups"], "b-1")
    keys = {"backups/": ["backups/"]}
    info = {"buckets": [{"name": "b-1", "bucket_lifecycle_configuration": {"Rules": [RULE]}}]}
    assert _storage_layout.lifecycle_rules(info) == [RULE]
    assert _storage_layout.lifecycle_rules({"skipped": True}) is None
    assert _storage_layout.lifecycle_rules({"buckets": [{"name": "b-1"}]}) == []
    assert _storage_layout.drift(lay, ["b-1"], keys, info, 30, "r", "auto") == []
    assert _storage_layout.drift(lay, ["b-1"], keys, {"buckets": [{}]}, 30, "r", "auto") == [
        "lifecycle rule r missing on b-1"]
    assert _storage_layout.drift(lay, ["b-1"], keys, {"failed": True}, 30, "r", "required") == [
        "lifecycle rules of b-1 unreadable"]


def test_deploy_plan_is_empty_when_the_store_matches():
    lay = _storage_layout.layout(AREAS, "b-1")
    keys = {p: [p] for p in lay["prefixes"]}
    assert _storage_layout.deploy_plan(lay, ["b-1"], keys, [RULE], 30, "r", "auto") == {
        "buckets": [], "prefixes": [], "lifecycle": False}


def test_deploy_plan_applies_only_what_differs():
    lay = _storage_layout.layout(AREAS, "b-1")
    keys = {"models/": ["models/"], "documents/": ["documents/x"], "backups/": ["backups/"]}
    assert _storage_layout.deploy_plan(lay, ["b-1"], keys, [dict(RULE, Status="Disabled")], 30, "r", "auto") == {
        "buckets": [], "prefixes": ["documents/"], "lifecycle": True}
    # A bucket to create gets every prefix and the rule; an unreadable rule set is applied (the store answers).
    assert _storage_layout.deploy_plan(lay, [], {}, None, 30, "r", "auto") == {
        "buckets": ["b-1"], "prefixes": lay["prefixes"], "lifecycle": True}
    assert _storage_layout.deploy_plan(lay, ["b-1"], {p: [p] for p in lay["prefixes"]}, None, 30, "r", "auto")[
        "lifecycle"] is True
    # No rule wanted: never applied, whatever the store has.
    for mode, days in (("skip", 30), ("auto", 0)):
        assert _storage_layout.deploy_plan(lay, [], {}, None, days, "r", mode)["lifecycle"] is False


def test_deploy_plan_of_separate_buckets_creates_only_the_missing_ones():
    lay = _storage_layout.layout(AREAS, "v", True, {"models": "v-weights"})
    assert _storage_layout.deploy_plan(lay, ["v-weights", "v-backups"], {}, [RULE], 30, "r", "auto") == {
        "buckets": ["v-documents"], "prefixes": [], "lifecycle": True}
    rule = dict(RULE, Filter={"Prefix": ""})
    assert _storage_layout.deploy_plan(lay, lay["buckets"], {}, [rule], 30, "r", "auto")["lifecycle"] is False
