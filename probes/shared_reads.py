"""Reads shared between the processes of one run (pytest-xdist workers).

Each process has its own :class:`~probes.inventory.Inventory`, which makes every distinct
read once *per process*. Under xdist that repeats the root reads (the stack, its
resources, the VPC, the subnets...) once per worker. This store makes a distinct read once
*per run*: the first process to need it takes a file lock for its key, makes the call and
writes the answer; every other process waiting on, or arriving after, that lock reads the
answer from disk instead of AWS.

The directory is private to the run (created by the xdist controller with
:func:`tempfile.mkdtemp`, mode 0700, removed when the run ends). Answers that can carry a
secret (a secret's value, an app client's secret, a decrypted parameter) are never written
there: each process reads those itself. An answer that cannot be pickled is not shared.
"""
from __future__ import annotations

import hashlib
import os
import pickle
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from filelock import FileLock

# Operations whose answer may hold a secret value: never written to disk.
NOT_SHARED = frozenset({
    "get_secret_value", "batch_get_secret_value", "describe_user_pool_client", "get_parameter",
    "get_parameters", "get_parameters_by_path", "get_password_data", "get_authorization_token",
    "initiate_auth", "admin_initiate_auth",
})


class SharedReads:
    def __init__(self, directory: str | os.PathLike[str]):
        self.directory = Path(directory)

    @classmethod
    def create(cls) -> SharedReads:
        return cls(tempfile.mkdtemp(prefix="stackprobe-reads-"))

    def shareable(self, operation: str) -> bool:
        return operation.split("[", 1)[0] not in NOT_SHARED

    def get_or_make(self, key: tuple[str, ...], make: Callable[[], Any]) -> tuple[Any, bool]:
        """``(answer, made_here)``: the answer another process already stored, or the one
        ``make()`` returns (stored for the others). An exception from ``make`` is raised
        and nothing is stored, so another process tries again, as one process would."""
        if not self.shareable(key[2]):
            return make(), True
        path = self.directory / (hashlib.sha256(repr(key).encode()).hexdigest()[:40] + ".pickle")
        found = self._load(path)
        if found is not None:
            return found[0], False
        with FileLock(str(path) + ".lock"):
            found = self._load(path)
            if found is not None:
                return found[0], False
            value = make()
            try:
                data = pickle.dumps((value,), protocol=pickle.HIGHEST_PROTOCOL)
            except Exception:  # e.g. a streaming body: this process keeps it to itself
                return value, True
            tmp = path.with_suffix(f".{os.getpid()}.tmp")
            tmp.write_bytes(data)
            os.replace(tmp, path)  # readers see the whole answer or none
            return value, True

    @staticmethod
    def _load(path: Path) -> tuple[Any] | None:
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            return None
        return pickle.loads(data)  # noqa: S301 - our own run's private directory

    def remove(self) -> None:
        import shutil
        shutil.rmtree(self.directory, ignore_errors=True)
