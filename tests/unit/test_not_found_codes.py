""""Missing" is AWS's own not-found codes, nothing wider: every not-found error shape in
botocore's models of the services the probes read reads as missing (a deleted web ACL is
"absent", not ERROR), while a malformed request, a denied call or a throttle never does.
The emulator's model deletes take only its own "gone" for "already deleted"."""
from __future__ import annotations

import re

import botocore.session
import pytest
from botocore.exceptions import ClientError

from fixtures.emulator.models._base import Gone, is_gone
from probes.inventory import is_missing

# Every service a probe reads through the inventory (tests/unit/test_botocore_audit.py
# checks this list against the code).
PROBE_SERVICES = ("acm", "apigateway", "autoscaling", "cloudformation", "cloudfront", "cloudtrail",
                  "cloudwatch", "cognito-idp", "elbv2", "iam", "logs", "rds", "route53", "s3",
                  "secretsmanager", "sns", "ssm", "wafv2")
NOT_FOUND = re.compile(r"(?i)not.?found|nosuch|not.?exist|nonexist")


def _error(code: str, status: int = 400, message: str = "") -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": message},
                        "ResponseMetadata": {"HTTPStatusCode": status}}, "Op")


def _not_found_shapes() -> list[tuple[str, str, int]]:
    session = botocore.session.get_session()
    out = []
    for service in PROBE_SERVICES:
        model = session.get_service_model(service)
        for name in model.shape_names:
            shape = model.shape_for(name)
            if not shape.metadata.get("exception"):
                continue
            error = shape.metadata.get("error", {})
            code = error.get("code", name)
            if NOT_FOUND.search(code):
                out.append((service, code, int(error.get("httpStatusCode") or 400)))
    return out


@pytest.mark.parametrize("service,code,status", _not_found_shapes(),
                         ids=lambda v: v if isinstance(v, str) else None)
def test_every_not_found_error_shape_reads_as_missing(service, code, status):
    assert is_missing(_error(code, status)), f"{service} {code} ({status})"


def test_a_deleted_web_acl_is_missing():
    assert is_missing(_error("WAFNonexistentItemException", 400,
                             "AWS WAF couldn't perform the operation because your resource doesn't exist."))


@pytest.mark.parametrize("code", ["InvalidGroup.NotFound", "InvalidVpcID.NotFound",
                                  "InvalidInstanceID.NotFound", "InvalidLaunchTemplateId.NotFound",
                                  "InvalidSubnetID.NotFound", "InvalidRouteTableID.NotFound"])
def test_ec2_not_found_codes_read_as_missing(code):
    """EC2's model lists no error shapes; these are its documented codes."""
    assert is_missing(_error(code))


def test_an_unknown_stack_is_missing_but_a_malformed_request_is_an_error():
    assert is_missing(_error("ValidationError", 400, "Stack with id sp-1 does not exist"))
    assert not is_missing(_error("ValidationError", 400, "1 validation error detected: Value "
                                 "'x' at 'stackName' failed to satisfy constraint"))


@pytest.mark.parametrize("code,status", [("AccessDenied", 403), ("AccessDeniedException", 400),
                                         ("ThrottlingException", 400), ("Throttling", 400),
                                         ("InvalidParameterValue", 400), ("InternalFailure", 500),
                                         ("WAFInvalidParameterException", 400)])
def test_denied_throttled_or_malformed_is_never_missing(code, status):
    assert not is_missing(_error(code, status))


def test_the_emulator_takes_only_its_own_gone_for_already_deleted():
    assert is_gone(Gone("alarm-1"))
    assert is_gone(KeyError("alarm-1"), ("alarm-1",))  # the lookup of the very id deleted
    assert not is_gone(KeyError("Properties"))  # a bug in a model, not a deleted resource
    assert not is_gone(KeyError("Properties"), ("alarm-1",))
