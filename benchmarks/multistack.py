"""Validate K stacks in ONE process, without pytest: ``python -m benchmarks.multistack
--endpoint URL --stacks a,b,c``. Prints one JSON line (time, peak RSS, verdict per stack).

The pytest plugin probes one stack per run (``--stack-name`` / the deployed one), so "K
stacks in one run" honestly means one of two things, and the benchmark measures both:
this runner (the probe library, one read-only ``AwsSession`` shared by K inventories,
every non-mutating probe of every layer, K stacks one after the other in one process),
and K pytest attach runs one after the other (benchmarks/bench.py).
"""
from __future__ import annotations

import argparse
import json
import resource
import sys
import time


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.multistack")
    parser.add_argument("--endpoint", required=True)
    parser.add_argument("--region", default="us-east-1")
    parser.add_argument("--stacks", required=True, help="comma-separated stack names")
    args = parser.parse_args(argv)
    start = time.perf_counter()

    from fixtures import environment as envmod
    from probes import registry
    from probes.aws import AwsSession
    from probes.inventory import Inventory

    env = envmod.load("local")
    expectations = env.expectations_obj
    session = AwsSession(args.region, args.endpoint, allow_mutations=False,
                         credentials={"aws_access_key_id": "testing",
                                      "aws_secret_access_key": "testing"})
    specs = sorted((s for s in registry.load_all().values() if not s.mutating),
                   key=lambda s: s.id)
    ready = time.perf_counter()
    stacks = []
    for name in [s for s in args.stacks.split(",") if s]:
        t0 = time.perf_counter()
        inv = Inventory(session, name, env.resources)
        statuses: dict[str, int] = {}
        for spec in specs:
            status = registry.run(spec.id, inv, expectations).status
            statuses[status] = statuses.get(status, 0) + 1
        stacks.append({"stack": name, "seconds": round(time.perf_counter() - t0, 3),
                       "statuses": statuses, **{k: v for k, v in inv.stats().items()
                                                if k != "api_calls"}})
    print(json.dumps({
        "probes_per_stack": len(specs),
        "setup_seconds": round(ready - start, 3),
        "seconds": round(time.perf_counter() - start, 3),
        "max_rss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
        "stacks": stacks,
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main())
