"""The inventory: every AWS read a probe makes goes through here, once per run.

It lists a stack's resources (nested stacks followed) and reads by id; which resource
plays which role is :mod:`probes.graph`'s business (explicit ids from the environment
file's ``resources:`` are kept here for it). Each distinct read (service,
operation, parameters) is made once and shared; calls are counted for the benchmark
and the tests.
"""
from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError

from probes.aws import AwsSession

T = TypeVar("T")
R = TypeVar("R")


# Parts of AWS's not-found error codes, checked against botocore's error shapes of every
# service the probes read (tests/unit/test_not_found_codes.py): NotFound (ResourceNotFound-
# Exception, DBInstanceNotFound, InvalidGroup.NotFound, ParameterNotFound, ...), NoSuch
# (NoSuchBucket, NoSuchEntity, NoSuchDistribution, ...), DoesNotExist (ssm, cloudfront) and
# Nonexistent (WAFNonexistentItemException, HTTP 400).
_MISSING_CODES = ("NotFound", "NoSuch", "DoesNotExist", "Nonexistent")
# Codes that mean "missing" only with this wording: CloudFormation answers an unknown stack
# with ValidationError "Stack with id X does not exist"; any other ValidationError is a
# real error (a malformed request) and must not read as "absent".
_MISSING_WHEN_SAID = {"ValidationError": "does not exist"}

class InventoryError(RuntimeError):
    """The stack cannot be read at all (missing, no credentials, ambiguous)."""


class Ambiguous(InventoryError):
    pass


def describe_error(exc: BaseException) -> str:
    if isinstance(exc, ClientError):
        err = exc.response.get("Error", {})
        op = getattr(exc, "operation_name", "?")
        return f"{err.get('Code', 'ClientError')} from {op}: {err.get('Message', '')}".strip()
    if isinstance(exc, NoCredentialsError):
        return "no AWS credentials found"
    if isinstance(exc, BotoCoreError):
        return f"{type(exc).__name__}: {exc}"
    return f"{type(exc).__name__}: {exc}"


def is_missing(exc: BaseException) -> bool:
    if not isinstance(exc, ClientError):
        return False
    error = exc.response.get("Error", {})
    code = error.get("Code", "")
    status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    if code in _MISSING_WHEN_SAID:
        return _MISSING_WHEN_SAID[code] in (error.get("Message") or "")
    return status == 404 or any(c in code for c in _MISSING_CODES)


@dataclass
class CallRecord:
    service: str
    operation: str
    params: str
    cached: bool
    seconds: float


_MISSING = object()


class Inventory:
    THREADS = 8  # default for parallel(): reads one probe makes side by side

    def __init__(self, session: AwsSession, stack_name: str | None,
                 resources: dict[str, str] | None = None, threads: int = THREADS):
        self.session = session
        self.threads = max(1, threads)
        self.stack_name = stack_name
        self.explicit = dict(resources or {})
        self._cache: dict[tuple[str, str, str, str], Any] = {}
        self._key_locks: dict[tuple[str, str, str, str], threading.Lock] = {}
        self._lock = threading.Lock()
        self.log: list[CallRecord] = []
        self._local = threading.local()

    # ---- reads -------------------------------------------------------------------------
    def call(self, service: str, operation: str, *, region: str | None = None,
             missing_ok: bool = False, **params: Any) -> Any:
        """One AWS read, made once per run for the same arguments and shared.

        ``missing_ok`` turns "not found" errors into ``None`` (a probe then reports the
        resource as absent) instead of raising.
        """
        key = (service, region or self.session.region, operation,
               json.dumps(params, sort_keys=True, default=str))

        def make() -> Any:
            try:
                return getattr(self.session.client(service, region), operation)(**params)
            except ClientError as exc:
                if not is_missing(exc):
                    raise
                return _MISSING

        value = self._once(key, make)
        if value is _MISSING:
            if not missing_ok:
                raise InventoryError(f"{service}:{operation} {key[3]} was not found")
            return None
        return value

    def paginate(self, service: str, operation: str, result_key: str, *,
                 region: str | None = None, missing_ok: bool = False, **params: Any) -> list[Any]:
        """All pages of a list/describe call, merged on ``result_key``; once per run."""
        key = (service, region or self.session.region, f"{operation}[*]",
               json.dumps(params, sort_keys=True, default=str))

        def make() -> list[Any]:
            client = self.session.client(service, region)
            items: list[Any] = []
            try:
                if client.can_paginate(operation):
                    for page in client.get_paginator(operation).paginate(**params):
                        items.extend(page.get(result_key, []))
                else:
                    items = getattr(client, operation)(**params).get(result_key, [])
            except ClientError as exc:
                if not (missing_ok and is_missing(exc)):
                    raise
            return items

        return self._once(key, make)

    def _once(self, key: tuple[str, str, str, str], make: Callable[[], Any]) -> Any:
        """The answer for ``key``: from memory, else made here. Concurrent callers of one
        key wait for the first; an exception is raised and not remembered."""
        service, _, operation, params = key
        operation = operation.removesuffix("[*]")  # a paginated read is recorded as its operation
        with self._lock:
            lock = self._key_locks.setdefault(key, threading.Lock())
        with lock:
            if key in self._cache:
                self._record(CallRecord(service, operation, params, True, 0.0))
                return self._cache[key]
            start = time.perf_counter()
            try:
                value = make()
            except ClientError:
                self._record(CallRecord(service, operation, params, False,
                                        time.perf_counter() - start))
                raise
            self._cache[key] = value
            self._record(CallRecord(service, operation, params, False,
                                    time.perf_counter() - start))
            return value

    # ---- the stack ---------------------------------------------------------------------
    def stack(self) -> dict[str, Any]:
        if not self.stack_name:
            raise InventoryError("no stack name: pass --stack-name or set stack.name in the "
                                 "environment file")
        resp = self.call("cloudformation", "describe_stacks", missing_ok=True,
                         StackName=self.stack_name)
        if not resp or not resp.get("Stacks"):
            raise InventoryError(
                f"stack {self.stack_name!r} does not exist in {self.session.region}; check "
                "--stack-name / stack.name, the region and the account")
        return resp["Stacks"][0]

    def outputs(self) -> dict[str, str]:
        return {o["OutputKey"]: o.get("OutputValue", "") for o in self.stack().get("Outputs", [])}

    def resources(self) -> list[dict[str, Any]]:
        """Every resource of the stack, nested stacks followed (each read once)."""
        self.stack()
        out: list[dict[str, Any]] = []
        pending = [self.stack_name]
        seen: set[str] = set()
        while pending:
            name = pending.pop(0)
            if name in seen:
                continue
            seen.add(name)
            for r in self.paginate("cloudformation", "list_stack_resources",
                                   "StackResourceSummaries", StackName=name):
                r = dict(r, StackName=name)
                if r["ResourceType"] == "AWS::CloudFormation::Stack" and r.get("PhysicalResourceId"):
                    pending.append(r["PhysicalResourceId"])
                out.append(r)
        return out

    def of_type(self, resource_type: str) -> list[dict[str, Any]]:
        return [r for r in self.resources()
                if r["ResourceType"] == resource_type and r.get("PhysicalResourceId")]

    def ids(self, resource_type: str) -> list[str]:
        return [r["PhysicalResourceId"] for r in self.of_type(resource_type)]

    def logical(self, resource_type: str, logical_id: str) -> str | None:
        for r in self.of_type(resource_type):
            if r["LogicalResourceId"] == logical_id:
                return r["PhysicalResourceId"]
        return None

    def parallel(self, fn: Callable[[T], R], items: Iterable[T], threads: int | None = None) -> list[R]:
        """``[fn(x) for x in items]`` with the reads side by side on up to ``threads``
        threads (default: the inventory's): against real AWS a probe that reads one thing
        per resource is otherwise a serial chain of round trips. Results keep the order of
        ``items``; reads made on the helper threads count for the calling probe; the first
        exception is raised."""
        items = list(items)
        threads = self.threads if threads is None else threads
        if len(items) < 2 or threads < 2:
            return [fn(x) for x in items]
        tracked = getattr(self._local, "calls", None)

        def run(x: T) -> R:
            self._local.calls = tracked
            try:
                return fn(x)
            finally:
                self._local.calls = None

        from concurrent.futures import ThreadPoolExecutor
        with ThreadPoolExecutor(max_workers=min(threads, len(items)),
                                thread_name_prefix="probe-read") as pool:
            return list(pool.map(run, items))

    # ---- call accounting ---------------------------------------------------------------
    def _record(self, record: CallRecord) -> None:
        self.log.append(record)
        tracked = getattr(self._local, "calls", None)
        if tracked is not None:
            tracked.append(record)

    def answers(self) -> list[tuple[tuple[str, str, str, str], Any]]:
        """Every answer read so far, by its key (service, region, operation, params): what
        the benchmark compares run for run."""
        with self._lock:
            return list(self._cache.items())

    def start_tracking(self) -> None:
        """Record this thread's reads from now on (probes may run on several threads)."""
        self._local.calls = []

    def stop_tracking(self) -> list[str]:
        calls = getattr(self._local, "calls", None) or []
        self._local.calls = None
        return [f"{r.service}:{r.operation}{' (shared)' if r.cached else ''}" for r in calls]

    def stats(self) -> dict[str, Any]:
        made = [r for r in self.log if not r.cached]
        distinct = {(r.service, r.operation, r.params) for r in made}
        return {
            "reads_requested": len(self.log),
            "aws_reads_made": len(made),
            "distinct_reads": len(distinct),
            "shared_reads": len(self.log) - len(made),
            "api_calls": dict(self.session.api_calls),
        }
