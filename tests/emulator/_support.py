"""Helpers for the emulator's own tests (imported by each module, so they also work with
``--noconftest``). All emulators of one process share moto's state: every test names its
stacks uniquely and never resets backends in-process."""
from __future__ import annotations

import itertools
import json
import os
import time
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

REGION = "us-east-1"
ACCOUNT = "123456789012"
CREDS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
_names = itertools.count()

os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
os.environ.setdefault("AWS_DEFAULT_REGION", REGION)


@pytest.fixture(scope="session")
def emu():
    from fixtures.emulator.server import start

    emulator = start(region=REGION)
    yield emulator
    emulator.stop()


class Aws:
    """boto3 clients against one emulator endpoint (cached per service)."""

    def __init__(self, endpoint: str):
        self.endpoint = endpoint
        self._clients: dict[str, Any] = {}

    def __call__(self, service: str) -> Any:
        if service not in self._clients:
            self._clients[service] = boto3.client(service, endpoint_url=self.endpoint, region_name=REGION, **CREDS)
        return self._clients[service]


@pytest.fixture(scope="session")
def aws(emu) -> Aws:
    return Aws(emu.endpoint)


def unique(prefix: str = "t") -> str:
    return f"{prefix}-{os.getpid()}-{next(_names)}-{int(time.time() * 1000) % 100000}"


def template(resources: dict[str, Any], outputs: dict[str, Any] | None = None,
             parameters: dict[str, Any] | None = None, conditions: dict[str, Any] | None = None) -> str:
    body: dict[str, Any] = {"AWSTemplateFormatVersion": "2010-09-09", "Resources": resources}
    if outputs:
        body["Outputs"] = {k: {"Value": v} for k, v in outputs.items()}
    if parameters:
        body["Parameters"] = parameters
    if conditions:
        body["Conditions"] = conditions
    return json.dumps(body)


class Stack:
    def __init__(self, aws: Aws, name: str):
        self.aws, self.name = aws, name
        self.cfn = aws("cloudformation")

    def describe(self) -> dict[str, Any]:
        return self.cfn.describe_stacks(StackName=self.stack_id)["Stacks"][0]

    @property
    def status(self) -> str:
        return self.describe()["StackStatus"]

    @property
    def outputs(self) -> dict[str, str]:
        return {o["OutputKey"]: o.get("OutputValue", "") for o in self.describe().get("Outputs", [])}

    def physical(self, logical_id: str) -> str:
        return self.cfn.describe_stack_resource(StackName=self.name, LogicalResourceId=logical_id)[
            "StackResourceDetail"]["PhysicalResourceId"]

    def update(self, body: str, parameters: dict[str, str] | None = None) -> None:
        self.cfn.update_stack(StackName=self.name, TemplateBody=body, Capabilities=["CAPABILITY_IAM"],
                              Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in (parameters or {}).items()])
        assert self.status == "UPDATE_COMPLETE", self.failure()

    def delete(self) -> None:
        """DeleteStack as a careful deleter sends it: log delivery (CloudFront, CloudTrail, flow
        logs) lands in a bucket after it was emptied, so a BucketNotEmpty failure empties the
        stack's buckets and retries (bounded), as fixtures.stack.delete does."""
        for _ in range(3):
            self.cfn.delete_stack(StackName=self.name)
            status = self.status
            if status != "DELETE_FAILED" or "BucketNotEmpty" not in (self.describe().get("StackStatusReason") or ""):
                break
            self.empty_buckets()
        assert status == "DELETE_COMPLETE", f"{status}: {self.failure()}"

    def empty_buckets(self) -> None:
        s3 = self.aws("s3")
        for r in self.cfn.list_stack_resources(StackName=self.stack_id)["StackResourceSummaries"]:
            if r["ResourceType"] != "AWS::S3::Bucket" or not r.get("PhysicalResourceId"):
                continue
            try:
                listed = s3.list_object_versions(Bucket=r["PhysicalResourceId"])
            except ClientError:
                continue
            objects = [{"Key": v["Key"], "VersionId": v["VersionId"]}
                       for v in listed.get("Versions", []) + listed.get("DeleteMarkers", [])]
            if objects:
                s3.delete_objects(Bucket=r["PhysicalResourceId"], Delete={"Objects": objects})

    def failure(self) -> str:
        pages = self.cfn.get_paginator("describe_stack_events").paginate(StackName=self.stack_id)
        for e in reversed([e for page in pages for e in page["StackEvents"]]):
            if e["ResourceStatus"].endswith("FAILED"):
                return f"{e['LogicalResourceId']} {e['ResourceStatus']}: {e.get('ResourceStatusReason')}"
        return self.describe().get("StackStatusReason") or ""


def create(aws: Aws, body: str, parameters: dict[str, str] | None = None, expect: str = "CREATE_COMPLETE",
           name: str | None = None) -> Stack:
    stack = Stack(aws, name or unique("stack"))
    resp = stack.cfn.create_stack(StackName=stack.name, TemplateBody=body, Capabilities=["CAPABILITY_IAM"],
                                  Parameters=[{"ParameterKey": k, "ParameterValue": v}
                                              for k, v in (parameters or {}).items()])
    stack.stack_id = resp["StackId"]
    status = stack.status
    assert status == expect, f"{status}: {stack.failure()}"
    return stack


def gone(call: Any, *codes: str) -> bool:
    """True when ``call()`` fails with a not-found error (or one of ``codes``)."""
    try:
        call()
    except ClientError as exc:
        code = exc.response["Error"]["Code"]
        return ("NotFound" in code or "NoSuch" in code or code in codes
                or "does not exist" in str(exc) or "not found" in str(exc).lower())
    return False


def http_default_route(api: str) -> dict[str, Any]:
    """Template resources: an HTTP_PROXY integration of the HTTP API ``api`` (a logical id)
    and the ``$default`` route to it (a deployment needs a route)."""
    return {
        "Backend": {"Type": "AWS::ApiGatewayV2::Integration", "Properties": {
            "ApiId": {"Ref": api}, "IntegrationType": "HTTP_PROXY", "IntegrationMethod": "GET",
            "IntegrationUri": "https://example.com/"}},
        "Any": {"Type": "AWS::ApiGatewayV2::Route", "Properties": {
            "ApiId": {"Ref": api}, "RouteKey": "$default", "Target": {"Fn::Sub": "integrations/${Backend}"}}},
    }
