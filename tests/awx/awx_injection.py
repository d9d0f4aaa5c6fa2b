"""Credential injection and job launch the way AWX does them, for tests without an AWX.

render_injectors() follows awx.main.models.credential.CredentialType.inject_credential: the namespace holds
the credential's non-empty inputs (missing booleans are False), file templates are rendered first into
files under the job's private data dir (`tower.filename` / `tower.filename.<label>`), then each env and
extra_vars template is rendered with jinja2's ImmutableSandboxedEnvironment.
launch_extra_vars() merges like AWX's launch: job template extra_vars, then survey defaults, then the
launch-time extra_vars and survey answers.
"""
import os
import tempfile

import yaml
from jinja2 import sandbox

# Environment variables AWX refuses to let a credential type inject (awx.main.fields.ENV_BLOCKLIST and
# the ANSIBLE_ prefix check of CredentialTypeInjectorField.validate_env_var_allowed).
ENV_BLOCKLIST = frozenset((
    "VIRTUAL_ENV", "PATH", "PYTHONPATH", "JOB_ID", "INVENTORY_ID", "INVENTORY_SOURCE_ID", "INVENTORY_UPDATE_ID",
    "AD_HOC_COMMAND_ID", "REST_API_URL", "REST_API_TOKEN", "MAX_EVENT_RES", "CALLBACK_QUEUE",
    "CALLBACK_CONNECTION", "CACHE", "JOB_CALLBACK_DEBUG", "INVENTORY_HOSTVARS", "AWX_HOST", "PROJECT_REVISION",
    "SUPERVISOR_CONFIG_PATH",
))


class _Namespace:  # pylint: disable=too-few-public-methods
    pass


def env_var_allowed(name):
    return name not in ENV_BLOCKLIST and not name.startswith("ANSIBLE_")


def render_injectors(credential_type, inputs, private_data_dir):
    """Return (env, extra_vars, files) that a credential of this type with these inputs injects."""
    injectors = credential_type.get("injectors") or {}
    tower = _Namespace()
    namespace = {"tower": tower}
    for field_name, value in inputs.items():
        if isinstance(value, bool) or len(value):
            namespace[field_name] = value
    for field in credential_type.get("inputs", {}).get("fields", []):
        if field.get("type") == "boolean" and field["id"] not in inputs:
            namespace[field["id"]] = False
        if field.get("format") == "ssh_private_key" and field["id"] in namespace:
            if not namespace[field["id"]].endswith("\n"):
                namespace[field["id"]] += "\n"
    env_dir = os.path.join(private_data_dir, "env")
    os.makedirs(env_dir, exist_ok=True)
    sandbox_env = sandbox.ImmutableSandboxedEnvironment()
    files = {}
    for label, template in (injectors.get("file") or {}).items():
        handle, path = tempfile.mkstemp(dir=env_dir)
        with os.fdopen(handle, "w") as fh:
            fh.write(sandbox_env.from_string(template).render(**namespace))
        files[label] = path
        if "." not in label:
            tower.filename = path
        else:
            if not hasattr(tower, "filename"):
                tower.filename = _Namespace()
            setattr(tower.filename, label.split(".", 1)[1], path)
    env = {}
    for name, template in (injectors.get("env") or {}).items():
        if env_var_allowed(name):
            env[name] = sandbox_env.from_string(template).render(**namespace)

    def build(node):
        if isinstance(node, dict):
            return {build(k): build(v) for k, v in node.items()}
        if isinstance(node, list):
            return [build(item) for item in node]
        return sandbox_env.from_string(node).render(**namespace)

    return env, build(injectors.get("extra_vars") or {}), files


def launch_extra_vars(job_template, launch_vars=None, survey_answers=None):
    """extra_vars of a job launched from this template, in AWX's order of precedence."""
    merged = dict(yaml.safe_load(job_template.get("extra_vars") or "") or {})
    survey = (job_template.get("related") or {}).get("survey_spec") or {}
    if job_template.get("survey_enabled"):
        for question in survey.get("spec", []):
            if question.get("default") not in (None, ""):
                merged[question["variable"]] = question["default"]
    if launch_vars:
        assert job_template.get("ask_variables_on_launch"), "AWX ignores launch extra_vars unless prompted"
        merged.update(launch_vars)
    for variable, answer in (survey_answers or {}).items():
        question = next((q for q in survey.get("spec", []) if q["variable"] == variable), None)
        assert question is not None, "no survey question sets %s" % variable
        if question["type"] == "integer":
            answer = int(answer)
            assert question.get("min", answer) <= answer <= question.get("max", answer)
        merged[variable] = answer
    return merged
