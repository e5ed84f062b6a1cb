"""Fill an emulator with resources unrelated to the stack under test, to show that an attach
run's reads scale with the stack, not with the account.

``python -m benchmarks.fill --endpoint URL --count N [--start S]`` adds, for i in [S, N):
one log group, two security groups (one in a VPC of its own, one in the default VPC), one
S3 bucket, one CloudWatch alarm and one CloudFormation stack (a single SNS topic) per i,
so N of each kind (security groups: N in the other VPC and N in the default VPC). Prints
one JSON line: how many of each were created and how long it took.

The names look like other workloads' resources in the same account (an RDS log group, an
API Gateway execution log group, a WAF log group, a Lambda's), none starting with a name or
prefix the bundled stack uses: a read scoped by name, id or prefix cannot see them, a read
that lists the account sees every one. Calls go out on a thread pool: CreateStack of a
one-resource stack is as fast as the emulator answers, and nothing waits for a stack
before sending the next.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable

PREFIX = "fill"
ATTEMPTS = 20
THREADS = 6  # the emulator answers on one core: more threads only collide more (HTTP 500s)
STACK_TEMPLATE = json.dumps({
    "AWSTemplateFormatVersion": "2010-09-09",
    "Resources": {"Topic": {"Type": "AWS::SNS::Topic"}},
})
LOG_GROUP_SHAPES = ("/aws/rds/instance/{p}-db-{i}/postgresql", "API-Gateway-Execution-Logs_{p}{i}/prod",
                    "aws-waf-logs-{p}-{i}", "/aws/lambda/{p}-fn-{i}")


class Filler:
    """boto3 clients on one endpoint; ``fill(start, stop)`` adds resources [start, stop)."""

    def __init__(self, endpoint: str, region: str = "us-east-1", threads: int = THREADS) -> None:
        import boto3
        from botocore.config import Config

        self.threads = threads
        cfg = Config(max_pool_connections=max(10, threads * 2), retries={"max_attempts": 10, "mode": "standard"})
        session = boto3.session.Session(aws_access_key_id=os.environ.get("AWS_ACCESS_KEY_ID", "testing"),
                                        aws_secret_access_key=os.environ.get("AWS_SECRET_ACCESS_KEY", "testing"),
                                        region_name=region)
        self.region = region
        self.c = {s: session.client(s, endpoint_url=endpoint, config=cfg)
                  for s in ("logs", "ec2", "s3", "cloudwatch", "cloudformation", "sns")}
        self._vpc: str | None = None
        self._default_vpc: str | None = None
        self._topic: str | None = None

    # shared, created once: an unrelated VPC, the default VPC, an unrelated alarm topic
    def _setup(self) -> None:
        ec2 = self.c["ec2"]
        if self._vpc is None:
            found = ec2.describe_vpcs(Filters=[{"Name": "tag:Name", "Values": [f"{PREFIX}-vpc"]}])["Vpcs"]
            self._vpc = found[0]["VpcId"] if found else ec2.create_vpc(
                CidrBlock="10.99.0.0/16",
                TagSpecifications=[{"ResourceType": "vpc",
                                    "Tags": [{"Key": "Name", "Value": f"{PREFIX}-vpc"}]}])["Vpc"]["VpcId"]
        if self._default_vpc is None:
            found = ec2.describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"]
            self._default_vpc = found[0]["VpcId"] if found else ec2.create_default_vpc()["Vpc"]["VpcId"]
        if self._topic is None:
            self._topic = self.c["sns"].create_topic(Name=f"{PREFIX}-alarms")["TopicArn"]

    def _log_group(self, i: int) -> None:
        name = LOG_GROUP_SHAPES[i % len(LOG_GROUP_SHAPES)].format(p=PREFIX, i=i)
        self.c["logs"].create_log_group(logGroupName=name)

    def _sg_other_vpc(self, i: int) -> None:
        self.c["ec2"].create_security_group(GroupName=f"{PREFIX}-sg-{i}", VpcId=self._vpc or "",
                                            Description=f"unrelated workload {i}")

    def _sg_default_vpc(self, i: int) -> None:
        self.c["ec2"].create_security_group(GroupName=f"{PREFIX}-sg-{i}", VpcId=self._default_vpc or "",
                                            Description=f"unrelated workload {i}")

    def _bucket(self, i: int) -> None:
        self.c["s3"].create_bucket(Bucket=f"{PREFIX}-bucket-{i}")

    def _alarm(self, i: int) -> None:
        self.c["cloudwatch"].put_metric_alarm(
            AlarmName=f"{PREFIX}-alarm-{i}", Namespace="AWS/EC2", MetricName="CPUUtilization",
            Dimensions=[{"Name": "InstanceId", "Value": f"i-{i:017x}"}], Statistic="Average",
            Period=300, EvaluationPeriods=1, Threshold=80.0, ComparisonOperator="GreaterThanThreshold",
            AlarmActions=[self._topic or ""])

    def _stack(self, i: int) -> None:
        self.c["cloudformation"].create_stack(StackName=f"{PREFIX}-stack-{i}", TemplateBody=STACK_TEMPLATE)

    def fill(self, start: int, stop: int) -> dict[str, Any]:
        """Create resources [start, stop) of every kind; per kind, seconds taken."""
        self._setup()
        made: dict[str, Any] = {"start": start, "stop": stop, "seconds": {}}
        steps: list[tuple[str, Callable[[int], None]]] = [
            ("log_groups", self._log_group), ("security_groups_other_vpc", self._sg_other_vpc),
            ("security_groups_default_vpc", self._sg_default_vpc),
            ("buckets", self._bucket), ("alarms", self._alarm), ("stacks", self._stack)]
        self.retried: dict[str, int] = {}
        with ThreadPoolExecutor(self.threads) as pool:
            for kind, fn in steps:
                t0 = time.perf_counter()
                list(pool.map(self._retrying(fn), range(start, stop)))  # re-raises the first failure
                made["seconds"][kind] = round(time.perf_counter() - t0, 2)
        made["retried"] = self.retried
        made["total_s"] = round(sum(made["seconds"].values()), 2)
        return made

    def _retrying(self, fn: Callable[[int], None]) -> Callable[[int], None]:
        """``fn`` tried up to 20 times: moto answers a write with HTTP 500 (an HTML page
        botocore cannot parse) when another request adds to the dict it is iterating (its
        duplicate-name checks for security groups and stacks); a retry that finds the
        resource made is done."""
        from botocore.exceptions import ClientError
        from botocore.parsers import ResponseParserError

        def run(i: int) -> None:
            for attempt in range(ATTEMPTS):
                try:
                    return fn(i)
                except (ResponseParserError, ClientError) as exc:
                    code = exc.response["Error"]["Code"] if isinstance(exc, ClientError) else "HTTP 500"
                    if attempt and ("Exists" in code or "Duplicate" in code or "AlreadyOwned" in code):
                        return None
                    if attempt == ATTEMPTS - 1 or (isinstance(exc, ClientError)
                                        and exc.response["ResponseMetadata"].get("HTTPStatusCode", 0) < 500):
                        raise
                    step = f"{fn.__name__.lstrip('_')} ({code})"
                    self.retried[step] = self.retried.get(step, 0) + 1
                    time.sleep(random.uniform(0.05, 0.2) * (attempt + 1))
            return None
        return run

    def counts(self) -> dict[str, int]:
        """How many of each kind the emulator holds (whole account: this is the filler's
        own check, never the probes')."""
        ec2, logs, cfn = self.c["ec2"], self.c["logs"], self.c["cloudformation"]
        sgs = [g for p in ec2.get_paginator("describe_security_groups").paginate() for g in p["SecurityGroups"]]
        return {
            "log_groups": sum(len(p["logGroups"]) for p in logs.get_paginator("describe_log_groups").paginate()),
            "security_groups": len(sgs),
            "buckets": len(self.c["s3"].list_buckets()["Buckets"]),
            "alarms": sum(len(p["MetricAlarms"]) for p in
                          self.c["cloudwatch"].get_paginator("describe_alarms").paginate()),
            "stacks": sum(1 for p in cfn.get_paginator("list_stacks").paginate(
                StackStatusFilter=["CREATE_COMPLETE"]) for _ in p["StackSummaries"]),
        }


# ---- the benchmark case ------------------------------------------------------------------
FLAT_WITHIN = 0.10


def case(sizes: list[int], n: int, threads: int = THREADS, warm_up: bool = True, paired: bool = True,
         log: Callable[[str], None] = lambda _: None) -> dict[str, Any]:
    """The ``fill`` case of ``benchmarks.bench``: a standalone emulator with the bundled
    stack; for each size N (ascending) its account is filled up to N of each kind, then the
    full attach run (every layer) is made ``n`` times. Reads are compared with the first
    size (normally 0): the same (service, operation, params), requests sent per operation
    and answer shapes. Time: with ``paired``, a second emulator holding only the bundled
    stack is attached to in turn with the filled one (A B, B A, ...), and each size's median
    wall time and CPU (attach process + emulator) are compared with that empty account's in
    the same minutes, so the load of a shared machine falls on both alike; without it, with
    the first size's."""
    from benchmarks.bench import Standalone, median, run_pytest

    def attach(emu: Standalone) -> dict[str, Any]:
        before = emu.cpu_s()
        r = run_pytest(["--stack-name", emu.stacks[0]], env_extra=emu.env(), keys=True)
        after = emu.cpu_s()
        r["emulator_cpu_s"] = round(after - before, 3) if after is not None and before is not None else None
        r["cpu_total_s"] = r["cpu_s"] + (r["emulator_cpu_s"] or 0)
        return r

    def times(runs: list[dict[str, Any]]) -> dict[str, Any]:
        return {"wall_s": median([r["wall_s"] for r in runs]), "wall_s_all": [r["wall_s"] for r in runs],
                "cpu_s": median([r["cpu_s"] for r in runs]),
                "emulator_cpu_s": median([r["emulator_cpu_s"] for r in runs]),
                "cpu_total_s": median([r["cpu_total_s"] for r in runs])}

    sizes = sorted(set(sizes))
    out: dict[str, Any] = {"sizes": sizes, "n": n, "paired": paired, "fill": {}, "by_size": {}}
    emus: list[Standalone] = []
    try:
        emus.append(Standalone())
        emu = emus[0]
        if paired:
            emus.append(Standalone())
        out["stack"] = emu.stacks[0]
        filler = Filler(emu.endpoint, emu.region, threads)
        if warm_up:
            # the emulator's first requests set up moto's services (seconds of CPU): a run
            # not counted takes that, so that it does not fall on the first size
            log("fill: warm-up attach run(s) (not counted)")
            out["warm_up_wall_s"] = [run_pytest(["--stack-name", e.stacks[0]], env_extra=e.env())["wall_s"]
                                     for e in emus]
        have = 0
        base: dict[str, Any] | None = None
        for size in sizes:
            if size > have:
                log(f"fill: adding {size - have} of each kind (to {size})")
                out["fill"][size] = filler.fill(have, size)
                have = size
            out["fill"].setdefault(size, {})["account_holds"] = filler.counts()
            runs: list[dict[str, Any]] = []
            empty: list[dict[str, Any]] = []
            for i in range(n):
                log(f"fill: {size} of each kind, attach run (all layers) #{i + 1}"
                    + (" and the empty account's" if paired else ""))
                for which in (emus if i % 2 == 0 else emus[::-1]):
                    (runs if which is emu else empty).append(attach(which))
            last = runs[-1]
            calls = last.get("probe_calls") or {}
            row: dict[str, Any] = {
                "exit": [r["exit"] for r in runs], "verdict_of_run": last.get("verdict"),
                "totals": last.get("totals"), **times(runs),
                "reads": calls.get("reads"), "distinct_reads": calls.get("distinct_reads"),
                "sent_total": last.get("sent_total"),
                "read_keys": last["read_keys"], "answer_shapes": last["answer_shapes"],
                "sent": last["sent"]}
            if empty:
                row["empty_account"] = {"exit": [r["exit"] for r in empty], **times(empty)}
            if "error" in last:
                row["error"] = last["error"]
            if any(r["read_keys"] != last["read_keys"] for r in runs):
                row["reads_vary_between_runs"] = True
            base = base or row
            row.update(compare(base, row))
            out["by_size"][size] = row
    finally:
        for e in emus:
            e.stop()
    for i, row in enumerate(out["by_size"].values()):  # the differences are kept, not the keys
        row["answers_recorded"] = len(row.pop("answer_shapes"))
        row.pop("read_keys")
        if i:
            row.pop("sent")
    return out


def compare(base: dict[str, Any], row: dict[str, Any]) -> dict[str, Any]:
    """``row`` against the base size: FLAT when the reads are the same (or their counts
    within 10 %) and the median wall time is within 10 %; else MISS, with what grew. "The
    same" is the same (service, operation, params), the same requests sent per operation
    (a listing that pages) and answers of the same shape (a listing that grows on one page).
    Time is compared with the empty account measured beside it when there is one
    (``row["empty_account"]``), else with the base size."""
    def ratio(key: str, ref: dict[str, Any]) -> float | None:
        return round(row[key] / ref[key], 3) if row.get(key) is not None and ref.get(key) else None

    b_keys = {tuple(k) for k in base["read_keys"]}
    r_keys = {tuple(k) for k in row["read_keys"]}
    sent_diff = {op: [base["sent"].get(op, 0), row["sent"].get(op, 0)]
                 for op in sorted(set(base["sent"]) | set(row["sent"]))
                 if base["sent"].get(op, 0) != row["sent"].get(op, 0)}
    b_shapes = {tuple(a[:3]): a[3] for a in base["answer_shapes"]}
    grew = [[*k, b_shapes[k], a[3]] for a in row["answer_shapes"]
            if (k := tuple(a[:3])) in b_shapes and b_shapes[k] != a[3]]
    identical = b_keys == r_keys and not sent_diff and not grew
    counts = [ratio(k, base) for k in ("reads", "distinct_reads", "sent_total")]
    reads_flat = identical or (not grew and all(c is not None and abs(c - 1) <= FLAT_WITHIN for c in counts))
    ref = row.get("empty_account") or base
    wall = ratio("wall_s", ref)
    time_flat = wall is not None and wall <= 1 + FLAT_WITHIN
    why = []
    if not reads_flat:
        why.append("answers grew" if grew else "reads grew")
    if not time_flat:
        why.append(f"wall x{wall}")
    return {"reads_identical": identical, "reads_ratio": counts[0], "sent_ratio": counts[2],
            "time_compared_with": "empty account, same minutes" if "empty_account" in row else "first size",
            "wall_ratio": wall, "wall_ratio_vs_first_size": ratio("wall_s", base),
            "cpu_ratio": ratio("cpu_s", ref), "emulator_cpu_ratio": ratio("emulator_cpu_s", ref),
            "cpu_total_ratio": ratio("cpu_total_s", ref),
            "reads_added": sorted(r_keys - b_keys), "reads_removed": sorted(b_keys - r_keys),
            "sent_changed": sent_diff, "answers_grew": grew,
            "verdict": "FLAT" if reads_flat and time_flat else "MISS", "miss": why}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.fill", description=__doc__.split("\n\n")[0])
    parser.add_argument("--endpoint", required=True)
    parser.add_argument("--region", default="us-east-1")
    parser.add_argument("--count", type=int, required=True, help="make the account hold N of each kind")
    parser.add_argument("--start", type=int, default=0, help="first index (resources [start, count) are added)")
    parser.add_argument("--threads", type=int, default=THREADS)
    args = parser.parse_args(argv)
    filler = Filler(args.endpoint, args.region, args.threads)
    made = filler.fill(args.start, args.count)
    made["account_holds"] = filler.counts()
    print(json.dumps(made))
    return 0


if __name__ == "__main__":
    sys.exit(main())
