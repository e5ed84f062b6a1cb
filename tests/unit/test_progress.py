"""A complete deploy ends with N/N done: the template's count includes resources whose
condition is false (the bundled stack's certificate without a domain), so the last line
counts what was created."""
from __future__ import annotations

from fixtures.stack import _Progress


def test_a_complete_deploy_says_everything_it_created_is_done():
    lines: list[str] = []
    progress = _Progress(cfn=None, stack_name="s", total=82, verb="deploying", out=lines.append)
    progress.done = {f"R{i}" for i in range(81)}
    progress.finish(81)
    assert lines[-1].startswith("stackprobe: deploying s: 81/81 done"), lines
