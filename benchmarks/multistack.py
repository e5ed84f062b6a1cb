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
    parser.add_argument("--threads", type=int, default=1,
                        help="run a stack's probes on this many threads (one shared inventory)")
    parser.add_argument("--latency-ms", type=float, default=0,
                        help="sleep this long before every AWS request (benchmarks.latency)")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    if args.latency_ms:
        import os
        os.environ["STACKPROBE_BENCH_LATENCY_MS"] = str(args.latency_ms)
        import benchmarks.latency  # noqa: F401  (wraps AwsSession.client)

    from fixtures import environment as envmod
    from probes import registry
    from probes.aws import AwsSession, share_botocore_models
    from probes.inventory import Inventory

    share_botocore_models()  # a one-shot process, like the pytest plugin: opt in

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
        inv = Inventory(session, name, env.resources, threads=max(1, min(args.threads, Inventory.THREADS)))
        statuses: dict[str, int] = {}
        if args.threads > 1:  # the inventory is thread-safe: one lock per distinct read
            from concurrent.futures import ThreadPoolExecutor
            with ThreadPoolExecutor(args.threads) as pool:
                outcomes = list(pool.map(registry.run, [s.id for s in specs],
                                             [inv] * len(specs), [expectations] * len(specs)))
        else:
            outcomes = [registry.run(s.id, inv, expectations) for s in specs]
        for outcome in outcomes:
            statuses[outcome.status] = statuses.get(outcome.status, 0) + 1
        stacks.append({"stack": name, "seconds": round(time.perf_counter() - t0, 3),
                       "statuses": statuses, **{k: v for k, v in inv.stats().items()
                                                if k != "api_calls"}})
    print(json.dumps({
        "probes_per_stack": len(specs), "threads": args.threads, "latency_ms": args.latency_ms,
        "setup_seconds": round(ready - start, 3),
        "seconds": round(time.perf_counter() - start, 3),
        "max_rss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
        "stacks": stacks,
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main())
