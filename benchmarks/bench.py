"""stackprobe's benchmark: how fast a verdict comes, how many AWS calls it spends, how it
scales. ``python -m benchmarks.bench [--n 3] [--quick]`` (``tox -e bench``) prints a table
and writes ``reports/bench.json``.

Every measurement is a real subprocess started from the repository root, the way a user
starts it (interpreter start included), with its own reports folder (``--reports-dir``, a
temporary directory): concurrent pytest runs in the same checkout are left alone. The
timeline of each pytest process comes from ``-p benchmarks.phases``; the injected AWS
latency from ``-p benchmarks.latency``. Cases run round-robin (case A, B, C, then A, B, C
again) so that the noise of a shared machine falls on every case alike; each number is the
median of its repetitions, and comparisons are ratios of medians from the same bench run.

Cases:
- ``full``: ``python -m pytest`` (embedded moto started, stack deployed, every suite,
  teardown, reports), ``-n 0``.
- ``attach:<layer>``: a standalone emulator (``python -m fixtures.emulator --deploy``), then
  ``python -m pytest --stack-name <name> -m <layer>`` with ``AWS_ENDPOINT_URL`` set.
- ``xdist``: the full run with ``-n 0/2/4``, without and with ``--latency-ms`` per request.
- ``scale``: K stacks (K = 1, 3, 10) deployed in one standalone emulator, validated (a) in
  one process by ``benchmarks.multistack`` (the probe library, no pytest) and (b) by K
  pytest attach runs one after the other (the plugin probes one stack per run).
- ``fill``: a standalone emulator with the bundled stack, filled with 0 / 1,000 / 5,000
  (``--fill``) each of unrelated log groups, security groups, buckets, alarms and stacks
  (``benchmarks.fill``); at each size the full attach run (every layer). Its reads must not
  change and its time must stay within 10 % of the empty account's.

``--cases`` picks cases (default: all of them).
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
EMULATOR_ENV = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                "AWS_DEFAULT_REGION": "us-east-1"}
BUDGETS = {"full_run_s": 15.0, "attach_layer_s": 3.0, "distinct_read_ratio": 0.9,
           "create_stack": 1, "xdist_speedup_with_latency": 2.5}
SCHEMA_VERSION = 1
CASES = ("full", "xdist", "attach", "scale", "fill")


# ---- one pytest process -----------------------------------------------------------------
def _is_mutating(op: str) -> bool:
    sys.path.insert(0, str(ROOT))
    from probes.aws import is_mutating
    return is_mutating(op)


def run_pytest(args: list[str], env_extra: dict[str, str] | None = None,
               latency_ms: float = 0, keep: Path | None = None, timeout: float = 900,
               keys: bool = False) -> dict[str, Any]:
    """One ``python -m pytest`` from the repository root; its wall time and what it spent.
    ``keys``: also every distinct read (service, operation, params), the shape of its answer
    (list lengths) and the requests sent per operation, to compare two runs read for read."""
    tmp = Path(tempfile.mkdtemp(prefix="stackprobe-bench-"))
    env = _user_env(STACKPROBE_BENCH_OUT=str(tmp), **(env_extra or {}))
    env.pop("PYTEST_ADDOPTS", None)
    # Measured as a user's `pytest` runs: with bytecode caching (tox's [testenv] turns it off).
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    plugins = ["-p", "benchmarks.phases"]
    if latency_ms:
        plugins += ["-p", "benchmarks.latency"]
        env["STACKPROBE_BENCH_LATENCY_MS"] = str(latency_ms)
    cmd = [PY, "-m", "pytest", f"--reports-dir={tmp}", "-q", "-p", "no:randomly", *plugins, *args]
    launched = time.time()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    out = {"cmd": " ".join(["python", *cmd[1:]]).replace(str(tmp), "<tmp>"),
           "exit": proc.returncode, "wall_s": round(wall, 3),
           "cpu_s": round(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime, 3)}
    if proc.returncode not in (0, 1):
        out["error"] = (proc.stdout + proc.stderr)[-2000:]
    out.update(_phases(tmp, launched, wall))
    answers = out.pop("_answers", [])
    if keys:
        out["read_keys"] = sorted(set(out.get("_reads", [])))
        out["answer_shapes"] = sorted(answers, key=lambda a: a[:3])
        sent = tmp / "aws-calls.json"
        out["sent"] = json.loads(sent.read_text()).get("sent", {}) if sent.is_file() else {}
    out.update(_calls(tmp, out.pop("_reads", [])))
    if keep:
        shutil.copytree(tmp, keep, dirs_exist_ok=True)
    shutil.rmtree(tmp, ignore_errors=True)
    return out


def _user_env(**extra: str) -> dict[str, str]:
    """The environment a user's shell would give: none of the variables pytest-xdist sets in
    its workers (a bench started from inside a test worker would otherwise pass them on, and
    the measured run's controller would take itself for a worker)."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("PYTEST_XDIST_") and k != "PYTEST_CURRENT_TEST"}
    env.update(extra)
    return env


def _phases(tmp: Path, launched: float, wall: float) -> dict[str, Any]:
    docs = [json.loads(p.read_text()) for p in sorted(tmp.glob("phases-*.json"))]
    controller = next((d for d in docs if d["worker"] == "controller"), None)
    out: dict[str, Any] = {"processes": len(docs),
                           "max_rss_mb": round(max((d["max_rss_kb"] for d in docs), default=0) / 1024, 1),
                           "_reads": [tuple(r) for d in docs for r in d["reads"]],
                           "_answers": [a for d in docs for a in d.get("answers", [])],
                           "reads_per_process": {d["worker"]: len(d["reads"]) for d in docs},
                           "worker_ready_s": {d["worker"]: round(d["stamps"]["collected"] - launched, 2)
                                              for d in docs if d["worker"] != "controller"
                                              and "collected" in d["stamps"]}}
    if controller:
        st, sp = controller["stamps"], controller["spans"]
        end = st.get("process_end", launched)

        def gap(a: str, b: str) -> float | None:
            return round(st[b] - st[a], 3) if a in st and b in st else None
        out["phases_s"] = {
            "startup": round(st["plugin_imported"] - launched, 3),
            "configure_other": round((gap("plugin_imported", "configured") or 0)
                                     - sp.get("emulator_start", 0) - sp.get("deploy", 0), 3),
            "emulator_start": round(sp.get("emulator_start", 0), 3),
            "deploy": round(sp.get("deploy", 0), 3),
            # under xdist the controller collects nothing: its "tests" phase then runs from
            # configure to the end of the session (worker start-up and collection included)
            "collect": gap("configured", "collected"),
            "tests": gap("collected", "tests_done") or gap("configured", "tests_done"),
            "reports": round((gap("tests_done", "process_end") or 0) - sp.get("teardown", 0), 3),
            "teardown": round(sp.get("teardown", 0), 3),
            # after the last atexit handler: module teardown, freeing the heap
            "interpreter_exit": round(launched + wall - end, 3),
        }
        out["emulator_stacks_created"] = controller.get("emulator_stacks_created")
    return out


def _calls(tmp: Path, reads: list[tuple[str, str, str]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    summary = tmp / "summary.json"
    if summary.is_file():
        s = json.loads(summary.read_text())
        calls = s.get("aws_calls", {})
        api = calls.get("api_calls", {})
        probe_reads = sum(n for op, n in api.items() if not _is_mutating(op.split(":", 1)[1]))
        distinct = len(set(reads)) if reads else calls.get("distinct_reads", 0)
        out["verdict"] = s.get("verdict")
        out["totals"] = s.get("totals")
        out["probe_calls"] = {
            "total": sum(api.values()), "reads": probe_reads,
            "distinct_reads": distinct,
            "distinct_per_read": round(distinct / probe_reads, 3) if probe_reads else None,
            "inventory_reads_requested": calls.get("reads_requested"),
            "inventory_shared": calls.get("shared_reads"),
            "processes": calls.get("processes"),
        }
    evidence = tmp / "aws-calls.json"
    if evidence.is_file():
        e = json.loads(evidence.read_text())
        sent = e.get("sent", {})
        out["sent_total"] = sum(sent.values())
        out["create_stack_sent"] = sent.get("cloudformation:CreateStack", 0)
        out["mutations_sent"] = e.get("mutations_sent", [])
    return out


# ---- the standalone emulator ------------------------------------------------------------
class Standalone:
    """``python -m fixtures.emulator --deploy`` in a subprocess, plus extra stacks."""

    def __init__(self) -> None:
        self.proc = subprocess.Popen([PY, "-m", "fixtures.emulator", "--deploy"], cwd=ROOT,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                     env=_user_env(**EMULATOR_ENV))
        line = self.proc.stdout.readline() if self.proc.stdout else ""
        if not line:
            raise RuntimeError(f"standalone emulator did not start: {self.proc.stderr.read() if self.proc.stderr else ''}")
        info = json.loads(line)
        self.endpoint, self.region = info["endpoint"], info["region"]
        self.stacks = [info["stack_name"]]

    def env(self) -> dict[str, str]:
        return dict(EMULATOR_ENV, AWS_ENDPOINT_URL=self.endpoint)

    def ensure_stacks(self, k: int) -> list[str]:
        sys.path.insert(0, str(ROOT))
        from fixtures.emulator.__main__ import deploy
        while len(self.stacks) < k:
            self.stacks.append(deploy(self.endpoint, self.region))
        return self.stacks[:k]

    def stack_count(self) -> int:
        """Every stack the emulator has, deleted ones included (ListStacks)."""
        import boto3
        cfn = boto3.client("cloudformation", endpoint_url=self.endpoint, region_name=self.region,
                           aws_access_key_id="testing", aws_secret_access_key="testing")
        return sum(len(p["StackSummaries"]) for p in cfn.get_paginator("list_stacks").paginate())

    def rss_mb(self) -> float | None:
        try:
            for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    return round(int(line.split()[1]) / 1024, 1)
        except OSError:
            return None
        return None

    def cpu_s(self) -> float | None:
        """CPU seconds (user + system) the emulator process has used so far."""
        try:
            fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return None
        return round((int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK"), 3)

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()


# ---- the cases --------------------------------------------------------------------------
def median(values: list[float]) -> float | None:
    values = [v for v in values if v is not None]
    return round(statistics.median(values), 3) if values else None


def summarise(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Medians over repetitions; the last run's counts (they do not vary between runs)."""
    last = runs[-1]
    out = {"n": len(runs), "wall_s": median([r["wall_s"] for r in runs]),
           "wall_s_all": [r["wall_s"] for r in runs],
           "exit": [r["exit"] for r in runs]}
    if "phases_s" in last:
        out["phases_s"] = {k: median([r["phases_s"].get(k) for r in runs if "phases_s" in r])
                           for k in last["phases_s"]}
    for key in ("verdict", "totals", "probe_calls", "sent_total", "create_stack_sent",
                "emulator_stacks_created", "max_rss_mb", "processes", "reads_per_process",
                "worker_ready_s", "cmd", "error"):
        if key in last:
            out[key] = last[key]
    out["create_stack_sent_all"] = [r.get("create_stack_sent") for r in runs]
    out["emulator_stacks_created_all"] = [r.get("emulator_stacks_created") for r in runs]
    return out


def bench(args: argparse.Namespace) -> dict[str, Any]:
    n = args.n
    layers = args.layers.split(",")
    workers = [int(w) for w in args.workers.split(",")] if args.workers else []
    ks = [int(k) for k in args.stacks.split(",")] if args.stacks else []
    fill_sizes = [int(k) for k in args.fill.split(",")] if args.fill else []
    cases = set(args.cases.split(","))
    started = time.time()
    result: dict[str, Any] = {"schema_version": SCHEMA_VERSION, "budgets": BUDGETS,
                              "machine": machine(), "settings": {
                                  "n": n, "latency_ms": args.latency_ms, "layers": layers,
                                  "workers": workers, "stacks": ks, "quick": args.quick,
                                  "cases": sorted(cases), "fill": fill_sizes}}

    # 1+3) full embedded runs: -n 0 (the "full" case) and the xdist matrix, round-robin
    variants: list[tuple[str, list[str], float]] = [("n0", ["-n", "0"], 0)] if "full" in cases else []
    for w in workers if "xdist" in cases else []:
        if w:
            variants.append((f"n{w}", ["-n", str(w)], 0))
    if args.latency_ms and workers and "xdist" in cases:
        # the baseline the latency budget was written against: every read in a row
        variants.append(("serial+latency", ["-n", "0", "--probe-threads=1"], args.latency_ms))
        for w in workers:
            variants.append((f"n{w}+latency", ["-n", str(w)], args.latency_ms))
    runs: dict[str, list[dict[str, Any]]] = {name: [] for name, _, _ in variants}
    for i in range(n):
        for name, extra, latency in variants:
            if i >= (n if name == "n0" else args.matrix_n):
                continue
            log(f"full run {name} #{i + 1}")
            runs[name].append((run_pytest(extra + args.pytest_args, latency_ms=latency)))
    if runs.get("n0"):
        result["full"] = summarise(runs["n0"])
    result["xdist"] = {name: summarise(r) for name, r in runs.items() if r}
    if cases & {"attach", "scale"}:
        attach_and_scale(result, args, layers if "attach" in cases else [],
                         ks if "scale" in cases else [], workers if "xdist" in cases else [])
    if "fill" in cases and fill_sizes:
        from benchmarks import fill
        result["fill"] = fill.case(fill_sizes, n, log=log)
    result["verdicts"] = verdicts(result)
    result["bench_seconds"] = round(time.time() - started, 1)
    return result


def attach_and_scale(result: dict[str, Any], args: argparse.Namespace, layers: list[str],
                     ks: list[int], workers: list[int]) -> None:
    """2) attach mode against a standalone emulator; 4) K stacks."""
    n = args.n
    emu = Standalone()
    try:
        result["emulator"] = {"endpoint": emu.endpoint, "rss_mb_one_stack": emu.rss_mb()}
        attach: dict[str, list[dict[str, Any]]] = {layer: [] for layer in layers}
        for i in range(n):
            for layer in layers:
                log(f"attach -m {layer} #{i + 1}")
                attach[layer].append((run_pytest(
                    ["--stack-name", emu.stacks[0], "-m", layer], env_extra=emu.env())))
        result["attach"] = {layer: summarise(r) for layer, r in attach.items()}
        before = emu.stack_count()
        if args.latency_ms and workers:
            result["threads_in_one_process"] = threads_case(emu, args)
        if ks:
            result["scale"] = scale(emu, ks, args)
        result["emulator"]["stacks_before_attach_runs"] = before
        result["emulator"]["stacks_after"] = emu.stack_count()
        result["emulator"]["rss_mb_after"] = emu.rss_mb()
    finally:
        emu.stop()


def multistack(emu: Standalone, names: list[str], *extra: str) -> tuple[float, dict[str, Any] | str]:
    t0 = time.perf_counter()
    proc = subprocess.run([PY, "-m", "benchmarks.multistack", "--endpoint", emu.endpoint,
                           "--stacks", ",".join(names), *extra], cwd=ROOT, capture_output=True,
                          text=True, env=_user_env(**emu.env()), timeout=1800)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        return wall, proc.stderr[-2000:]
    return wall, json.loads(proc.stdout.strip().splitlines()[-1])


def threads_case(emu: Standalone, args: argparse.Namespace) -> dict[str, Any]:
    """What xdist is meant to buy, done inside one process: one stack's probes on 1 vs 16
    threads sharing one inventory, with the injected latency."""
    out: dict[str, Any] = {"latency_ms": args.latency_ms}
    for i in range(args.matrix_n):
        for threads in (1, 16):
            log(f"threads: {threads} thread(s), {args.latency_ms:.0f} ms per call #{i + 1}")
            _, doc = multistack(emu, emu.stacks[:1], "--threads", str(threads),
                                "--latency-ms", str(args.latency_ms))
            if isinstance(doc, str):
                out[f"threads_{threads}"] = {"error": doc}
                continue
            st = doc["stacks"][0]
            out.setdefault(f"threads_{threads}", {"probe_seconds": [], "reads": st["aws_reads_made"],
                                                  "distinct_reads": st["distinct_reads"],
                                                  "statuses": st["statuses"]})["probe_seconds"].append(st["seconds"])
    for key in ("threads_1", "threads_16"):
        if "probe_seconds" in out.get(key, {}):
            out[key]["median_s"] = median(out[key]["probe_seconds"])
    if out.get("threads_1", {}).get("median_s") and out.get("threads_16", {}).get("median_s"):
        out["speedup"] = round(out["threads_1"]["median_s"] / out["threads_16"]["median_s"], 2)
    return out


def scale(emu: Standalone, ks: list[int], args: argparse.Namespace) -> dict[str, Any]:
    out: dict[str, Any] = {"library_one_process": {}, "pytest_runs_sequential": {}}
    for k in ks:
        names = emu.ensure_stacks(k)
        out.setdefault("emulator_rss_mb", {})[k] = emu.rss_mb()
        log(f"scale: {k} stack(s), one process (benchmarks.multistack)")
        wall, doc = multistack(emu, names)
        if isinstance(doc, str):
            out["library_one_process"][k] = {"error": doc}
        else:
            per = [s["seconds"] for s in doc["stacks"]]
            out["library_one_process"][k] = {
                "wall_s": round(wall, 3), "max_rss_mb": round(doc["max_rss_kb"] / 1024, 1),
                "setup_s": doc["setup_seconds"], "per_stack_s_median": median(per),
                "reads_per_stack": [s["aws_reads_made"] for s in doc["stacks"]],
                "statuses_first_stack": doc["stacks"][0]["statuses"] if doc["stacks"] else {}}
        if args.scale_pytest and k <= args.scale_pytest_max:
            log(f"scale: {k} stack(s), {k} pytest attach run(s)")
            t0 = time.perf_counter()
            rss, exits = [], []
            for name in names:
                r = run_pytest(["--stack-name", name], env_extra=emu.env())
                rss.append(r.get("max_rss_mb", 0))
                exits.append(r["exit"])
            out["pytest_runs_sequential"][k] = {"wall_s": round(time.perf_counter() - t0, 3),
                                                "max_rss_mb": max(rss), "exits": exits}
    return out


# ---- verdicts against the budgets (DESIGN.md section 6) ---------------------------------
def verdicts(r: dict[str, Any]) -> dict[str, Any]:
    v: dict[str, Any] = {}
    full = r.get("full")
    if full:
        v["full_run_under_15s"] = {"value": full["wall_s"],
                                   "ok": bool(full["wall_s"] and full["wall_s"] < BUDGETS["full_run_s"])}
    for layer, a in r.get("attach", {}).items():
        v[f"attach_{layer}_under_3s"] = {"value": a["wall_s"],
                                         "ok": bool(a["wall_s"] and a["wall_s"] < BUDGETS["attach_layer_s"])}
    fill = r.get("fill") or {}
    if fill.get("by_size"):
        v["fill_reads_and_time_flat_within_10pct"] = {
            "value": {size: x["verdict"] for size, x in fill["by_size"].items()},
            "ok": all(x["verdict"] == "FLAT" for x in fill["by_size"].values())}
    if not r["xdist"]:
        return v
    ratios = {name: (x.get("probe_calls") or {}).get("distinct_per_read") for name, x in r["xdist"].items()}
    v["distinct_reads_per_read_ge_0.9"] = {"value": ratios,
                                           "ok": all(x is not None and x >= 0.9 for x in ratios.values())}
    creates = {name: {"sent": x.get("create_stack_sent_all"), "emulator": x.get("emulator_stacks_created_all")}
               for name, x in r["xdist"].items()}
    v["one_create_stack_whatever_n"] = {
        "value": creates,
        "ok": all(all(c == 1 for c in d["sent"]) and all(c == 1 for c in d["emulator"])
                  for d in creates.values())}
    lat = {name: x for name, x in r["xdist"].items() if name.endswith("+latency")}
    if "n0+latency" in lat and "n4+latency" in lat:
        base, fast = lat["n0+latency"], lat["n4+latency"]
        wall = round(base["wall_s"] / fast["wall_s"], 2)
        tests = None
        if base.get("phases_s", {}).get("tests") and fast.get("phases_s", {}).get("tests"):
            tests = round(base["phases_s"]["tests"] / fast["phases_s"]["tests"], 2)
        v["xdist_n4_vs_n0_with_latency_ge_2.5x"] = {"value": {"wall": wall, "tests_phase": tests},
                                                   "ok": wall >= BUDGETS["xdist_speedup_with_latency"]}
    if "serial+latency" in lat and "n0+latency" in lat:
        # What the budget asks of parallelism, met where it is done: -n 0 runs its probes on
        # threads, so it is compared with the same run forced serial (--probe-threads=1). The
        # tests phase is the part parallel probing can shorten; start-up, emulator, deploy
        # and teardown are the same in both and are reported beside it.
        base, fast = lat["serial+latency"], lat["n0+latency"]
        wall = round(base["wall_s"] / fast["wall_s"], 2)
        bt, ft = (base.get("phases_s") or {}).get("tests"), (fast.get("phases_s") or {}).get("tests")
        tests = round(bt / ft, 2) if bt and ft else None
        v["probe_threads_vs_serial_with_latency_ge_2.5x"] = {
            "value": {"tests_phase": tests, "wall": wall},
            "ok": bool(tests and tests >= BUDGETS["xdist_speedup_with_latency"])}
    return v


def machine() -> dict[str, Any]:
    try:
        load = os.getloadavg()
    except OSError:
        load = None
    return {"cpus": os.cpu_count(), "loadavg_at_start": load, "python": sys.version.split()[0]}


def log(msg: str) -> None:
    print(f"bench: {msg}", file=sys.stderr, flush=True)


# ---- the table --------------------------------------------------------------------------
def table(r: dict[str, Any]) -> str:
    lines = []

    def row(*cells: Any) -> None:
        lines.append("  ".join(str(c) for c in cells))

    def f(x: Any) -> str:
        return "-" if x is None else (f"{x:.2f}" if isinstance(x, float) else str(x))

    row(f"stackprobe bench (median of n; {r['machine']['cpus']} CPUs, load at start "
        f"{r['machine']['loadavg_at_start']})")
    row(f"{'case':<22}{'wall s':>8}{'n':>3}  {'reads':>6}{'distinct':>9}{'ratio':>7}{'CreateStack':>12}{'RSS MB':>8}  verdict")
    for name, x in [("full (-n 0)", r["full"]) for _ in range("full" in r)] \
            + [(f"xdist {k}", x) for k, x in r["xdist"].items() if k != "n0"] \
            + [(f"attach -m {k}", x) for k, x in r.get("attach", {}).items()]:
        pc = x.get("probe_calls") or {}
        cs = x.get("create_stack_sent_all") or []
        emu = x.get("emulator_stacks_created_all") or []
        creates = "-" if not any(cs) and not any(e for e in emu if e) else f"{max(cs or [0])}/{max((e or 0) for e in emu) if emu else '-'}"
        row(f"{name:<22}{f(x['wall_s']):>8}{x['n']:>3}  {f(pc.get('reads')):>6}{f(pc.get('distinct_reads')):>9}"
            f"{f(pc.get('distinct_per_read')):>7}{creates:>12}{f(x.get('max_rss_mb')):>8}  {x.get('verdict')}")
    ph = (r.get("full") or {}).get("phases_s") or {}
    if ph:
        row("full run phases (s): " + ", ".join(f"{k} {f(v)}" for k, v in ph.items()))
    sc = r.get("scale") or {}
    for k, x in (sc.get("library_one_process") or {}).items():
        p = (sc.get("pytest_runs_sequential") or {}).get(k) or {}
        row(f"scale K={k:<3} one process: {f(x.get('wall_s'))} s, peak {f(x.get('max_rss_mb'))} MB, "
            f"{f(x.get('per_stack_s_median'))} s/stack | {k} pytest runs: {f(p.get('wall_s'))} s, "
            f"peak {f(p.get('max_rss_mb'))} MB | emulator {f((sc.get('emulator_rss_mb') or {}).get(k))} MB")
    th = r.get("threads_in_one_process") or {}
    if th.get("speedup"):
        row(f"one stack's probes in one process, {th['latency_ms']:.0f} ms per call: 1 thread "
            f"{f(th['threads_1']['median_s'])} s, 16 threads {f(th['threads_16']['median_s'])} s "
            f"({th['speedup']}x, {th['threads_16']['reads']} reads, none repeated)")
    for name, x in r["xdist"].items():
        if x.get("reads_per_process") and len(x["reads_per_process"]) > 1:
            row(f"{name}: reads per process {x['reads_per_process']}, workers ready at "
                f"{x.get('worker_ready_s')} s")
    fill = (r.get("fill") or {}).get("by_size") or {}
    if fill:
        first = next(iter(fill.values()))
        row(f"fill: attach run (all layers) with N of each unrelated kind in the account; reads vs N = "
            f"{next(iter(fill))}, time vs {first.get('time_compared_with')} (x: ratio; CPU: attach "
            "process + emulator)")
        row(f"  {'N':>6}{'wall s':>8}{'empty s':>8}{'CPU s':>7}{'empty':>7}{'reads':>7}{'distinct':>9}{'sent':>6}"
            f"{'same reads':>11}{'wall x':>8}{'CPU x':>7}  verdict")
        for size, x in fill.items():
            e = x.get("empty_account") or {}
            row(f"  {size:>6}{f(x['wall_s']):>8}{f(e.get('wall_s')):>8}{f(x['cpu_total_s']):>7}"
                f"{f(e.get('cpu_total_s')):>7}{f(x['reads']):>7}"
                f"{f(x['distinct_reads']):>9}{f(x['sent_total']):>6}{'yes' if x['reads_identical'] else 'NO':>11}"
                f"{f(x['wall_ratio']):>8}{f(x['cpu_total_ratio']):>7}  {x['verdict']}{(' (' + ', '.join(x['miss']) + ')') if x['miss'] else ''}")
            for key in ("reads_added", "reads_removed"):
                for k in x[key][:10]:
                    row(f"    {key.split('_')[1]}: {' '.join(k)}")
            for op, (a, b) in x["sent_changed"].items():
                row(f"    sent {op}: {a} -> {b}")
            for *k, a, b in x["answers_grew"][:10]:
                row(f"    answer grew: {' '.join(k)}: {a} -> {b}")
    row("budgets:")
    for name, v in r["verdicts"].items():
        row(f"  {'MET ' if v['ok'] else 'MISS'} {name}: {json.dumps(v['value'])}")
    row("CreateStack column: sent by the client (aws-calls.json) / stacks the emulator holds after the run")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    # a terminated bench still stops the emulators it started (their `finally`)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    p = argparse.ArgumentParser(prog="python -m benchmarks.bench", description=__doc__.split("\n\n")[0])
    p.add_argument("--n", type=int, default=3, help="repetitions of the full and attach cases (median)")
    p.add_argument("--matrix-n", type=int, default=1, help="repetitions of each xdist/latency variant")
    p.add_argument("--layers", default="database,api", help="layers timed in attach mode")
    p.add_argument("--workers", default="0,2,4", help="xdist -n values ('' to skip the matrix)")
    p.add_argument("--latency-ms", type=float, default=100, help="injected per-request latency (0: none)")
    p.add_argument("--stacks", default="1,3,10", help="K values for the scaling case ('' to skip)")
    p.add_argument("--scale-pytest", action=argparse.BooleanOptionalAction, default=True,
                   help="also validate the K stacks by K pytest attach runs")
    p.add_argument("--scale-pytest-max", type=int, default=10)
    p.add_argument("--fill", default="0,1000,5000",
                   help="sizes of the fill case: N of each unrelated kind in the account ('' to skip)")
    p.add_argument("--cases", default=",".join(CASES),
                   help=f"comma-separated cases to run, of {', '.join(CASES)}")
    p.add_argument("--quick", action="store_true",
                   help="smoke mode: n=1, one attach layer, no xdist matrix, K=1 only, fill 0,200 (a few minutes)")
    p.add_argument("--out", default=str(ROOT / "reports" / "bench.json"))
    p.add_argument("pytest_args", nargs="*", help="extra arguments for the full runs (after --)")
    args = p.parse_args(argv)
    if args.quick:
        args.n, args.matrix_n, args.layers, args.workers = 1, 1, "database", ""
        args.stacks, args.scale_pytest, args.latency_ms = "1", False, 0
        args.fill = "0,200" if args.fill == p.get_default("fill") else args.fill
    unknown = set(args.cases.split(",")) - set(CASES)
    if unknown:
        p.error(f"unknown case(s) {', '.join(sorted(unknown))}; choose from {', '.join(CASES)}")
    result = bench(args)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2, default=str) + "\n")
    print(table(result))
    print(f"written: {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
