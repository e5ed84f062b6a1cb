"""The one client factory: timeouts, bounded retries, the read-only guard, call counting.

Every boto3 client stackprobe uses comes from :class:`AwsSession`. Real AWS is reached
through the standard credential chain; any AWS-compatible endpoint through
``endpoint_url`` (or ``AWS_ENDPOINT_URL``, which botocore honours itself).
"""
from __future__ import annotations

import collections
import functools
import re
import threading
from datetime import datetime
from typing import Any

import boto3
from botocore.config import Config

_SHARED_MODELS: dict[tuple[Any, ...], dict[Any, Any]] = {}


def share_botocore_models() -> None:
    """Opt-in, for a process that lives for one run (the pytest plugin calls it): parse
    each botocore data file (service model, endpoints, paginators, waiters) once per
    process instead of once per ``boto3.Session``, and keep it out of the cyclic GC.

    botocore caches what it loads per ``Loader``, and every ``boto3.Session`` has its own:
    the account guard, the deploy session, the probes' session and the embedded moto
    server would each parse the same multi-megabyte JSON again. Loaders with the same
    search paths and extras now share one cache, which is what botocore already does for
    the clients of one session; nothing mutates these dicts (``service-data-loaded`` has
    no handler in botocore, boto3 or moto).

    A parsed model is ~10^5 dicts and lists that live as long as the process. After a file
    is parsed, ``gc.freeze()`` moves every object alive at that moment to the permanent
    generation, so the cyclic collector skips them from then on (reference counting still
    frees them). The price: cyclic garbage that exists at that instant is never collected,
    a bounded leak in a process that lives for one run, which is why a library must not
    do this on import. Idempotent. Measurements: benchmarks/README.md.
    """
    import gc

    from botocore import loaders

    if getattr(loaders.Loader, "_stackprobe_shared", False):
        return
    original_init = loaders.Loader.__init__
    original_load = loaders.JSONFileLoader.load_file

    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        original_init(self, *args, **kwargs)
        key = (tuple(self.search_paths), tuple(self.extras_types), type(self.file_loader))
        self._cache = _SHARED_MODELS.setdefault(key, {})

    def load_file(self: Any, file_path: str) -> Any:
        data = original_load(self, file_path)
        gc.freeze()
        return data

    loaders.Loader.__init__ = __init__  # type: ignore[method-assign]
    loaders.JSONFileLoader.load_file = load_file  # type: ignore[method-assign]
    loaders.Loader._stackprobe_shared = True  # type: ignore[attr-defined]



# Operation-name prefixes that change state. Reads never start with these.
MUTATING_PREFIXES = (
    "Create", "Put", "Update", "Delete", "Set", "Modify", "Authorize", "Revoke", "Invoke",
    "Publish", "Attach", "Detach", "Associate", "Disassociate", "Register", "Deregister",
    "Start", "Stop", "Terminate", "Reboot", "Enable", "Disable", "Tag", "Untag", "Add",
    "Remove", "Reset", "Restore", "Send", "Subscribe", "Unsubscribe", "Confirm", "Admin",
    "Change", "Replace", "Run", "Import", "Copy", "Upload",
    "Execute", "Cancel", "Rotate", "Purge", "Receive", "Test", "Release", "Allocate",
)
# Cognito's Admin* family holds reads too.
_READ_ADMIN = re.compile(r"^Admin(Get|List)")


def is_mutating(operation: str) -> bool:
    if _READ_ADMIN.match(operation):
        return False
    return operation.startswith(MUTATING_PREFIXES)


class MutationRefused(RuntimeError):
    """A state-changing AWS call against an environment that does not allow it."""


MAX_POOL_CONNECTIONS = 32


def parse_timestamp(value: Any) -> Any:
    """botocore's response timestamp parser with a fast path: an ISO 8601 string (what
    every AWS JSON and XML protocol sends) through ``datetime.fromisoformat`` instead of
    dateutil's general parser, which a stack's events (a few hundred timestamps per
    DescribeStackEvents page) made a visible part of a run. The same instant, aware or
    naive as botocore would give it; anything else goes to botocore's own parser."""
    if isinstance(value, str) and value[4:5] == "-" and value[:4].isdigit():
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            pass
    from botocore.utils import parse_timestamp as botocore_parse
    return botocore_parse(value)


class AwsSession:
    """Clients for one target (region, endpoint, credentials) with shared counters."""

    def __init__(self, region: str, endpoint_url: str | None = None, profile: str | None = None,
                 allow_mutations: bool = False, credentials: dict[str, str] | None = None,
                 connect_timeout: float = 5, read_timeout: float = 30, max_attempts: int = 8):
        self.region = region
        self.endpoint_url = endpoint_url
        self.allow_mutations = allow_mutations
        self._session = boto3.Session(profile_name=profile, region_name=region, **(credentials or {}))
        self._session._session.get_component("response_parser_factory").set_parser_defaults(
            timestamp_parser=parse_timestamp)
        self._config = Config(
            connect_timeout=connect_timeout, read_timeout=read_timeout,
            # "standard", not "adaptive": adaptive's client-side rate limiter starts from a
            # measured rate of zero, so one early throttle pins a client that makes a
            # handful of calls (ours: one read each) to 0.5 requests/s
            # (benchmarks/README.md).
            retries={"mode": "standard", "max_attempts": max_attempts},
            user_agent_extra="stackprobe",
            # Probes read side by side (the probe pool's 16 threads, each probe's own
            # parallel reads): with botocore's default pool of 10 connections per client
            # urllib3 discards connections under that load, and against AWS each new one
            # costs a TLS handshake.
            max_pool_connections=MAX_POOL_CONNECTIONS,
        )
        self._clients: dict[tuple[str, str], Any] = {}
        self._lock = threading.Lock()
        # api_calls: every call a caller made (before-call, refused ones included);
        # sent: every HTTP request that left the process (before-send, retries included);
        # mutations: state-changing calls allowed and sent; refused: stopped before sending.
        self.api_calls: collections.Counter[str] = collections.Counter()
        self.sent: collections.Counter[str] = collections.Counter()
        self.mutations: list[str] = []
        self.refused: list[str] = []

    def client(self, service: str, region: str | None = None) -> Any:
        region = region or self.region
        key = (service, region)
        with self._lock:
            if key not in self._clients:
                c = self._session.client(service, region_name=region, endpoint_url=self.endpoint_url,
                                         config=self._config)
                c.meta.events.register("before-call.*.*", self._before_call)
                c.meta.events.register("before-send.*.*", functools.partial(self._before_send, service))
                self._clients[key] = c
            return self._clients[key]

    def _before_call(self, model: Any, **_: Any) -> None:
        name = f"{model.service_model.service_name}:{model.name}"
        self.api_calls[name] += 1
        if is_mutating(model.name):
            if not self.allow_mutations:
                self.refused.append(name)
                raise MutationRefused(
                    f"refused {name}: this environment does not allow mutations "
                    "(set allow_mutations: true in the environment file to permit them)")
            self.mutations.append(name)

    def _before_send(self, service: str, event_name: str = "", **_: Any) -> None:
        self.sent[f"{service}:{event_name.rsplit('.', 1)[-1]}"] += 1

    def evidence(self) -> dict[str, Any]:
        """What this session did, for aws-calls.json: counts by operation, mutations."""
        return {"allow_mutations": self.allow_mutations, "api_calls": dict(self.api_calls),
                "sent": dict(self.sent), "mutations": list(self.mutations),
                "refused": list(self.refused)}

    def account_id(self) -> str:
        return self.client("sts").get_caller_identity()["Account"]
