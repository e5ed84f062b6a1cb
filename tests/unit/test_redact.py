from probes.redact import MASK, redact, register_secret


def test_registered_values_are_masked_everywhere():
    register_secret("hunter2-very-secret")
    assert "hunter2" not in redact("connect failed with password hunter2-very-secret for app")
    assert redact({"note": ["x hunter2-very-secret y"]}) == {"note": [f"x {MASK} y"]}


def test_secret_shapes_and_keys():
    jwt = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.c2lnbmF0dXJl"
    assert jwt not in redact(f"token={jwt}")
    assert "abc123def456" not in redact("Authorization: Bearer abc123def456")
    out = redact({"Password": "p", "SecretString": "{}x", "SecretArn": "arn:x", "token_use": "id"})
    assert out["Password"] == MASK and out["SecretString"] == MASK
    assert out["SecretArn"] == "arn:x" and out["token_use"] == "id"


def test_http_credentials_and_escaped_json():
    sig = ("Authorization: AWS4-HMAC-SHA256 Credential=AKIAEXAMPLE/20261125/us-east-1/s3/aws4_request, "
           "SignedHeaders=host, Signature=" + "ab12" * 16)
    out = redact(sig)
    assert "ab12ab12" not in out and "AKIAEXAMPLE" not in out
    assert "tok123secret" not in redact("{'X-Amz-Security-Token': 'tok123secret'}")
    escaped = '"{\\"username\\": \\"app\\", \\"password\\": \\"s3cr3tValue\\"}"'
    assert "s3cr3tValue" not in redact(escaped)
    assert "X-Amz-Signature=" + MASK in redact("https://b.s3/k?X-Amz-Signature=" + "cd34" * 16)


def test_every_pattern_has_a_trigger_that_text_must_hold_to_be_scanned():
    """Text holding none of the triggers skips the patterns: a pattern added without its
    trigger would silently never run."""
    from probes import redact

    for pattern in redact.PATTERNS:
        assert any(t in pattern.pattern.lower() for t in redact.TRIGGERS), pattern.pattern


def test_text_without_triggers_still_loses_registered_secrets():
    from probes.redact import MASK, redact, register_secret

    register_secret("plain-s3cr3t-value")
    assert redact("connect with plain-s3cr3t-value now") == f"connect with {MASK} now"
