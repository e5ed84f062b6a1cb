"""Test plugin (``-p tests.reliability.slowdeploy``): holds a deploy open so a test can
interrupt it mid-deploy. Production code has no test branch; this patches its wait.

STACKPROBE_SLOW_DEPLOY_MARKER  file written when the deploy is being held
STACKPROBE_SLOW_DEPLOY_SECONDS how long to hold (default 60)
STACKPROBE_SLOW_DEPLOY_RESULT  what the wait then reports: "" (the real result) or "timeout"
"""
from __future__ import annotations

import os
import time
from pathlib import Path

from fixtures import stack as stackmod

_real_wait = stackmod._wait


def _held_wait(cfn, waiter_name, stack_name, timeout, delay, progress):
    if waiter_name != "stack_create_complete":
        return _real_wait(cfn, waiter_name, stack_name, timeout, delay, progress)
    marker = os.environ.get("STACKPROBE_SLOW_DEPLOY_MARKER")
    if marker:
        Path(marker).write_text(stack_name)
    time.sleep(float(os.environ.get("STACKPROBE_SLOW_DEPLOY_SECONDS", "60")))
    if os.environ.get("STACKPROBE_SLOW_DEPLOY_RESULT") == "timeout":
        return "timeout"
    return _real_wait(cfn, waiter_name, stack_name, timeout, delay, progress)


stackmod._wait = _held_wait
