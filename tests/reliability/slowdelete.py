"""Test plugin (``-p tests.reliability.slowdelete``): holds a stack delete open, as AWS's
minutes-long deletes do, so a test can press Ctrl-C during the teardown.

STACKPROBE_SLOW_DELETE_MARKER   file written when the delete is being held
STACKPROBE_SLOW_DELETE_SECONDS  how long to hold (default 8)
"""
from __future__ import annotations

import os
import time
from pathlib import Path

from fixtures import stack as stackmod

_real_wait = stackmod._wait


def _held_wait(cfn, waiter_name, stack_name, timeout, delay, progress):
    if waiter_name == "stack_delete_complete":
        marker = os.environ.get("STACKPROBE_SLOW_DELETE_MARKER")
        if marker:
            Path(marker).write_text(stack_name)
        time.sleep(float(os.environ.get("STACKPROBE_SLOW_DELETE_SECONDS", "8")))
    return _real_wait(cfn, waiter_name, stack_name, timeout, delay, progress)


stackmod._wait = _held_wait
