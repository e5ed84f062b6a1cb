"""Where each setting comes from: the environment file < environment variables < the
command line (README, Options). Each setting x each combination of sources x which wins."""
from __future__ import annotations

import itertools

import pytest

from fixtures import environment as envmod
from fixtures import lifecycle

# setting: (environment file key, environment variable or None, value per source)
SETTINGS = {
    "region": ("region", None),
    "endpoint_url": ("endpoint_url", "AWS_ENDPOINT_URL"),
    "profile": ("profile", "AWS_PROFILE"),
}
VALUES = {
    "region": {"environment file": "eu-west-1", "environment variable": None,
               "command line": "ap-south-1"},
    "endpoint_url": {"environment file": "http://file:1", "environment variable": "http://var:2",
                     "command line": "http://cli:3"},
    "profile": {"environment file": "file-profile", "environment variable": "var-profile",
                "command line": "cli-profile"},
}
SOURCES = ("environment file", "environment variable", "command line")  # lowest first


def _cases():
    for setting, (_, var) in SETTINGS.items():
        sources = [s for s in SOURCES if var or s != "environment variable"]
        for n in range(len(sources) + 1):
            for given in itertools.combinations(sources, n):
                winner = given[-1] if given else "default"
                yield pytest.param(setting, given, winner, id=f"{setting}-{'+'.join(given) or 'none'}")


@pytest.mark.parametrize("setting, given, winner", list(_cases()))
def test_the_highest_source_given_wins(setting, given, winner):
    key, var = SETTINGS[setting]
    values = VALUES[setting]
    file = {"name": "t"}
    if "environment file" in given:
        file[key] = values["environment file"]
    env = envmod.Environment(**file)
    environ = {var: values["environment variable"]} if var and "environment variable" in given else {}
    options = {setting: values["command line"] if "command line" in given else None}
    settings = lifecycle.resolve_settings(env, options, environ)
    expected = values.get(winner) if winner != "default" else \
        ("us-east-1" if setting == "region" else None)
    assert getattr(settings, setting) == expected
    assert settings.sources[setting] == (winner if winner != "default" or setting != "region"
                                         else "environment file")


def test_the_profile_that_wins_reaches_boto3(tmp_path, monkeypatch):
    """AWS_PROFILE beats the file's profile all the way to the session (an explicit
    profile_name would otherwise override the variable inside boto3)."""
    config = tmp_path / "config"
    config.write_text("[profile var-profile]\nregion = us-east-1\n"
                      "[profile file-profile]\nregion = us-east-1\n")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    env = envmod.Environment(name="t", target="aws", account_id="123456789012",
                             profile="file-profile")
    settings = lifecycle.resolve_settings(env, {}, {"AWS_PROFILE": "var-profile"})
    state = lifecycle.RunState("t", "aws", settings.region, None, None, "r",
                               profile=settings.profile)
    assert state.session()._session.profile_name == "var-profile"


# ---- commands printed for copy-paste reproduce the run's target --------------------------
def _state(**kw):
    base = dict(env_name="prod", target="endpoint", region="eu-west-1", endpoint_url="http://emu:5000",
                stack_name="shop", run_id="r", env_option="prod",
                sources={"region": "environment file", "endpoint_url": "environment variable",
                         "profile": "default"})
    base.update(kw)
    return lifecycle.RunState(**base)


@pytest.mark.parametrize("state, command", [
    # attached: the same endpoint (it came from a variable the next shell may not have), stack
    (_state(), "pytest -m network --env prod --endpoint-url http://emu:5000 --stack-name shop"),
    # region and profile given on the command line travel with the command
    (_state(target="aws", endpoint_url=None, profile="ops",
            sources={"region": "command line", "endpoint_url": "default", "profile": "command line"}),
     "pytest -m network --env prod --region eu-west-1 --profile ops --stack-name shop"),
    # an ephemeral stack is gone after the run: the command deploys a new one
    (_state(target="embedded", endpoint_url="http://127.0.0.1:1", deployed=True, env_option="local"),
     "pytest -m network --env local"),
    # a kept one is attached to
    (_state(deployed=True, keep=True, env_option="envs/n.yaml"),
     "pytest -m network --env envs/n.yaml --endpoint-url http://emu:5000 --stack-name shop"),
])
def test_dig_deeper_commands_reproduce_the_target(state, command):
    assert lifecycle.attach_command(state, "network") == command


def test_next_steps_in_findings_get_the_same_command():
    from fixtures import verdicts
    from probes import registry
    from probes.result import failed

    finding = failed("hop 9", "is cut", "connected")
    finding.next_step = "pytest -m api (layer api); 1 later hop(s) also broken: db"
    outcome = registry.Outcome(registry.get("stack.outputs_present"), [finding], 0.0, [])
    verdicts.with_commands(outcome, lambda layer: lifecycle.attach_command(_state(), layer))
    assert finding.next_step == ("pytest -m api --env prod --endpoint-url http://emu:5000 "
                                 "--stack-name shop (layer api); 1 later hop(s) also broken: db")
