"""Environment files: every bad input is one sentence naming the file, the key and the fix."""
import pytest

from fixtures import environment as envmod


@pytest.mark.parametrize("name", envmod.known_environments())
def test_bundled_environments_load(name):
    env = envmod.load(name)
    assert env.name == name
    assert env.expectations_obj is not None


def _write(tmp_path, text):
    p = tmp_path / "bad.yaml"
    p.write_text(text)
    return str(p)


@pytest.mark.parametrize("text, fragments", [
    ("name: x\ntarget: embedded\nstack: {mode: deploy\n", ["malformed YAML", "line", "Fix:"]),
    ("- a\n- b\n", ["expected a mapping", "Fix:"]),
    ("name: x\ntargte: aws\n", ["unknown key 'targte'", "Fix:"]),
    ("name: x\nstack: {nmae: y}\n", ["unknown key 'stack.nmae'", "Fix:"]),
    ("name: x\ntarget: mars\n", ["key 'target'", "'mars'", "Fix:"]),
    ("name: x\ntarget: aws\nregion: us-east-1\n", ["account_id", "Fix:"]),
    ("name: x\naccount_id: '12'\n", ["key 'account_id'", "Fix:"]),
    ("name: x\nallow_mutations: maybe\n", ["key 'allow_mutations'", "Fix:"]),
    ("name: x\nresources: {bukket: b}\n", ["bukket", "Fix:"]),
    ("name: x\nexpectations: {netwrk: {}}\n", ["netwrk", "Fix:"]),
])
def test_bad_environment_is_one_clear_error(tmp_path, text, fragments):
    with pytest.raises(envmod.EnvironmentError_) as info:
        envmod.load(_write(tmp_path, text))
    msg = str(info.value)
    assert "\n" not in msg
    assert "bad.yaml" in msg
    for fragment in fragments:
        assert fragment in msg


def test_unknown_environment_names_the_known_ones():
    with pytest.raises(envmod.EnvironmentError_) as info:
        envmod.load("nosuchenv")
    assert "unknown environment 'nosuchenv'" in str(info.value)
    assert "local" in str(info.value)


def test_parameters_become_strings(tmp_path):
    env = envmod.load(_write(tmp_path, "name: x\nstack: {parameters: {AppPort: 8080, DeletionProtection: true}}\n"))
    assert env.stack.parameters == {"AppPort": "8080", "DeletionProtection": "true"}


def test_live_domain_feeds_the_dns_expectations(tmp_path):
    env = envmod.load(_write(tmp_path, "name: x\nlive: {domain: www.example.com}\n"))
    assert env.expectations_obj.dns.domain == "www.example.com"
    env = envmod.load(_write(tmp_path, "name: x\nlive: {domain: a.example.com}\n"
                                       "expectations: {dns: {domain: b.example.com}}\n"))
    assert env.expectations_obj.dns.domain == "b.example.com"
