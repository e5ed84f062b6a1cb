"""The code speaks AWS's API as botocore's service models define it: every (service,
operation) the probes, fixtures and suites call exists, every parameter they pass is a
member of the operation's input shape, every paginated result key is a member of its
output shape, and every response key the code reads is a member of some output shape of
the services it calls. A probe reading a key AWS never returns (moto may still return it)
fails here, not on real AWS.

Calls are found in the source (AST): ``inv.call("svc", "op", Param=...)``,
``inv.paginate("svc", "op", "ResultKey", ...)``, ``<x>.client("svc").op(...)`` and a
client bound to a name (``cfn = session.client("cloudformation")``; ``cfn.op(...)``,
``cfn.get_paginator("op")``). Response keys are the AWS-looking string keys the code reads
(``x["Key"]`` / ``x.get("Key")``) in the modules that read AWS."""
from __future__ import annotations

import ast
import re
from functools import cache
from pathlib import Path

import botocore.session
import pytest
from botocore import xform_name

ROOT = Path(__file__).resolve().parents[2]
SOURCES = sorted([*(ROOT / "probes").glob("*.py"), *(ROOT / "fixtures").glob("*.py"),
                  *(ROOT / "suites").rglob("*.py")])
# Modules whose string keys are read from AWS answers (the others read config, reports...).
READERS = sorted([*(ROOT / "probes").glob("*.py"), ROOT / "fixtures" / "stack.py",
                  ROOT / "fixtures" / "sweep.py"])
CLIENT_HELPERS = {"get_paginator", "get_waiter", "can_paginate", "meta", "exceptions"}

# Keys the code reads that are not in any API output shape, each with why it is right.
NOT_API_KEYS = {
    # IAM / S3 / SNS / SQS / Secrets Manager policy documents (JSON grammar, not API shapes)
    **dict.fromkeys(("Statement", "Effect", "Principal", "Action", "NotAction", "Resource",
                     "NotResource", "Condition", "Service", "AWS", "Federated", "Sid", "Version"),
                    "policy document grammar"),
    # CloudWatch dashboard body JSON and SNS notification / alarm message JSON
    **dict.fromkeys(("AlarmName", "NewStateValue", "NewStateReason", "OldStateValue", "Message",
                     "Type", "Trigger", "MetricName", "Namespace", "Dimensions"),
                    "SNS / CloudWatch alarm notification body"),
    # RDS-managed master secret JSON (GetSecretValue SecretString)
    **dict.fromkeys(("username", "password", "host", "port", "engine", "dbname"), "secret JSON"),
    # JWKS and JWT headers/claims
    **dict.fromkeys(("keys", "kid", "alg", "iss", "aud", "exp", "token_use", "client_id"), "JWT / JWKS"),
    # the reference backend's /health answer
    "database": "backend /health JSON",
    "NotPrincipal": "policy document grammar",
    "Bool": "policy document grammar (a Condition operator)",
    "KmsMasterKeyId": "a key of SNS GetTopicAttributes' Attributes map (documented)",
    "Ref": "CloudFormation template grammar (a template read through GetTemplate)",
    "ResponseMetadata": "botocore's response metadata", "HTTPStatusCode": "botocore's response metadata",
    "PendingConfirmation": "a key of SNS GetSubscriptionAttributes' Attributes map (documented)",
    "subjectAltName": "ssl.getpeercert() of a TLS connection",
}
AWS_KEY = re.compile(r"^(?:[A-Z][a-zA-Z0-9]+|[a-z]+(?:[A-Z][a-z0-9]+)+)$")


@cache
def _session() -> botocore.session.Session:
    return botocore.session.get_session()


@cache
def _model(service: str):
    return _session().get_service_model(service)


@cache
def _operations(service: str) -> dict[str, str]:
    """client method name -> API operation name."""
    return {xform_name(op): op for op in _model(service).operation_names}


def _is_client_call(node: ast.AST) -> bool:
    return (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
            and node.func.attr == "client" and bool(node.args))


def _bound_clients(tree: ast.AST) -> dict[str, str]:
    """Names bound to a client: ``x = s.client("svc")`` and
    ``a, b = (s.client(n) for n in ("svc1", "svc2"))``."""
    bound: dict[str, str] = {}
    for node in ast.walk(tree):
        if not isinstance(node, ast.Assign):
            continue
        value = node.value
        if _is_client_call(value) and isinstance(value.args[0], ast.Constant):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    bound[target.id] = value.args[0].value
        elif (isinstance(value, ast.GeneratorExp) and _is_client_call(value.elt)
              and isinstance(value.generators[0].iter, ast.Tuple)):
            names = [e.value for e in value.generators[0].iter.elts if isinstance(e, ast.Constant)]
            for target in node.targets:
                if isinstance(target, ast.Tuple):
                    pairs = zip(target.elts, names, strict=False)
                    bound.update({t.id: n for t, n in pairs if isinstance(t, ast.Name)})
    return bound


def _calls() -> list[tuple[str, int, str, str, tuple[str, ...], str | None]]:
    """(file, line, service, client method, parameter names, paginated result key)."""
    services = set(_session().get_available_services())
    found = []
    for path in SOURCES:
        tree = ast.parse(path.read_text())
        rel = str(path.relative_to(ROOT))
        bound = _bound_clients(tree)
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
                continue
            args, attr = node.args, node.func.attr
            keywords = tuple(k.arg for k in node.keywords if k.arg and k.arg not in ("region", "missing_ok"))
            if (attr in ("call", "paginate") and len(args) >= 2
                    and all(isinstance(a, ast.Constant) and isinstance(a.value, str) for a in args[:2])
                    and args[0].value in services):
                key = args[2].value if attr == "paginate" and len(args) > 2 and isinstance(args[2], ast.Constant) else None
                found.append((rel, node.lineno, args[0].value, args[1].value, keywords, key))
                continue
            base, service = node.func.value, None
            if (isinstance(base, ast.Call) and isinstance(base.func, ast.Attribute) and base.func.attr == "client"
                    and base.args and isinstance(base.args[0], ast.Constant)):
                service = base.args[0].value
            elif isinstance(base, ast.Name):
                service = bound.get(base.id)
            if not service:
                continue
            if attr == "get_paginator" and args and isinstance(args[0], ast.Constant):
                found.append((rel, node.lineno, service, args[0].value, (), None))
            elif attr not in CLIENT_HELPERS:
                found.append((rel, node.lineno, service, attr, keywords, None))
    return found


CALLS = _calls()


def test_the_scan_finds_the_calls():
    """Not vacuous: the probes' reads and the lifecycle's calls are all seen."""
    seen = {(c[2], c[3]) for c in CALLS}
    assert len(CALLS) > 90
    assert {("wafv2", "get_logging_configuration"), ("cloudformation", "describe_stack_events"),
            ("logs", "describe_log_groups"), ("ssm", "describe_instance_information"),
            ("cloudfront", "get_cache_policy")} <= seen


@pytest.mark.parametrize("where,line,service,method,params,result_key", CALLS,
                         ids=[f"{c[0]}:{c[1]}:{c[2]}.{c[3]}" for c in CALLS])
def test_each_call_matches_the_service_model(where, line, service, method, params, result_key):
    ops = _operations(service)
    assert method in ops, f"{where}:{line} calls {service}.{method}, which botocore's model does not have"
    op = _model(service).operation_model(ops[method])
    members = set(op.input_shape.members) if op.input_shape else set()
    if service == "ec2" and "Filter" in members:
        members.add("Filters")  # botocore's own alias (handlers: 'ec2.*.Filter': 'Filters')
    unknown = sorted(set(params) - members)
    assert not unknown, f"{where}:{line} passes {unknown} to {service}.{method}; its input has {sorted(members)}"
    if result_key:
        outputs = set(op.output_shape.members) if op.output_shape else set()
        assert result_key in outputs, (f"{where}:{line} pages {service}.{method} on {result_key!r}; "
                                       f"its output has {sorted(outputs)}")


@cache
def _output_keys(services: tuple[str, ...]) -> frozenset[str]:
    """Every member name of every shape reachable from the output of any operation."""
    names: set[str] = set()
    for service in services:
        model = _model(service)
        seen: set[str] = set()
        for op_name in model.operation_names:
            out = model.operation_model(op_name).output_shape
            stack = [out] if out is not None else []
            while stack:
                shape = stack.pop()
                if shape.name in seen:
                    continue
                seen.add(shape.name)
                if shape.type_name == "structure":
                    for member_name, member in shape.members.items():
                        names.add(member_name)
                        names.add(member.serialization.get("name", member_name))
                        stack.append(member)
                elif shape.type_name == "list":
                    stack.append(shape.member)
                elif shape.type_name == "map":
                    stack.append(shape.value)
    return frozenset(names)


def _keys_in(source: str, where: str, found: dict[str, list[str]]) -> dict[str, list[str]]:
    """AWS-looking string keys read with x["Key"] or x.get("Key"), with where."""
    for node in ast.walk(ast.parse(source)):
        key = None
        if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant):
            key = node.slice.value
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
              and node.func.attr == "get" and node.args and isinstance(node.args[0], ast.Constant)):
            key = node.args[0].value
        if isinstance(key, str) and AWS_KEY.match(key):
            found.setdefault(key, []).append(f"{where}:{node.lineno}")
    return found


def _unknown_keys(found: dict[str, list[str]]) -> dict[str, list[str]]:
    known = _output_keys(tuple(sorted({c[2] for c in CALLS})))
    return {k: where for k, where in found.items() if k not in known and k not in NOT_API_KEYS}


def test_a_key_aws_never_returns_is_caught():
    probe = 'def p(inv):\n    d = inv.call("elbv2", "describe_target_health", TargetGroupArn="a")\n' \
            '    return d["TargetHealthDescriptions"][0]["HealthState"], d.get("TargetHealthDescriptions")\n'
    assert list(_unknown_keys(_keys_in(probe, "new_probe.py", {}))) == ["HealthState"]


def test_every_response_key_read_is_one_aws_returns():
    services = tuple(sorted({c[2] for c in CALLS}))
    found: dict[str, list[str]] = {}
    for path in READERS:
        _keys_in(path.read_text(), str(path.relative_to(ROOT)), found)
    unknown = _unknown_keys(found)
    assert not unknown, ("keys read that no output shape of " + ", ".join(services) + " has "
                         "(a key AWS never returns; if it is not from an API answer, add it to "
                         "NOT_API_KEYS with why): "
                         + "; ".join(f"{k} at {', '.join(w[:3])}" for k, w in sorted(unknown.items())))
