# ruff: noqa: F811  (pytest fixtures imported from _support, so the tests also run with --noconftest)
"""The embedded default serves a domain of its own: {stack_name} in a parameter becomes the
run's stack name, and on the embedded target the domain's hosted zone is made before the
deploy, so the dns layer is probed in the main job instead of skipped."""
from __future__ import annotations

import pytest

from fixtures import environment as envmod
from fixtures import stack as stackmod
from tests.emulator._support import aws, emu, unique  # noqa: F401


def test_stack_name_placeholder_is_resolved_per_run():
    params = stackmod.resolve_parameters(
        {"DomainName": "www.{stack_name}.stackprobe.test", "AlarmEmail": "a@example.com"},
        "Stackprobe-Local-20261125-ab12")
    assert params == {"DomainName": "www.stackprobe-local-20261125-ab12.stackprobe.test",
                      "AlarmEmail": "a@example.com"}


def test_a_domain_label_over_63_characters_is_one_clear_error():
    with pytest.raises(stackmod.DeployError, match="longer than 63 characters.*Fix: shorten stack.name"):
        stackmod.resolve_parameters({"DomainName": "www.{stack_name}.example.test"}, "s" * 70)


def test_the_embedded_target_makes_the_zone_once(aws):
    domain = f"www.{unique('dom')}.stackprobe.test"
    first = stackmod.embedded_hosted_zone(aws("route53"), {"DomainName": domain})
    again = stackmod.embedded_hosted_zone(aws("route53"), {"DomainName": domain})
    assert first["HostedZoneId"] == again["HostedZoneId"]
    zone = aws("route53").get_hosted_zone(Id=first["HostedZoneId"])["HostedZone"]
    assert zone["Name"].rstrip(".") == domain.split(".", 1)[1]
    assert not zone["Config"]["PrivateZone"]


def test_an_operators_zone_or_no_domain_is_left_alone(aws):
    given = {"DomainName": "www.example.com", "HostedZoneId": "Z0OPERATOR"}
    assert stackmod.embedded_hosted_zone(aws("route53"), given) == given
    assert stackmod.embedded_hosted_zone(aws("route53"), {"AlarmEmail": "a@example.com"}) == {
        "AlarmEmail": "a@example.com"}


def test_the_default_environment_serves_a_domain():
    params = envmod.load("local").stack.parameters
    assert "{stack_name}" in params["DomainName"] and params["DomainName"].endswith(".test")
