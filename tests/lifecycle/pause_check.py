"""Not collected by default (no test_ prefix): lifecycle tests pass it explicitly to hold a
run open until they interrupt it."""
import os
import time
from pathlib import Path


def test_pause_until_interrupted():
    Path(os.environ["STACKPROBE_PAUSE_MARKER"]).write_text("running")
    time.sleep(60)
