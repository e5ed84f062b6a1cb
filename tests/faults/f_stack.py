"""Faults for the smoke suite: drift (a resource deleted outside CloudFormation) and a
stack whose outputs are incomplete."""
from tests.faults import anystack as any_
from tests.faults.catalog import Fault


def _blank_output(stack):
    # CloudFormation offers no API to change one output in place; a real stack gets here
    # when a condition or a failed custom resource leaves an output empty.
    from moto.cloudformation.models import cloudformation_backends
    backend = cloudformation_backends["123456789012"]["us-east-1"]
    target = next(s for s in backend.stacks.values() if s.name == stack.name)
    target.output_map["VpcId"].value = ""


FAULTS = [
    Fault("dashboard-deleted-out-of-band", any_.on_lab_stack(any_.dashboard_deleted), ("stack.resources_exist",),
          challenge=10, mentions=("Dashboard",),
          also_breaks=("observability.dashboard_covers_layers",)),
    Fault("output-empty", _blank_output, ("stack.outputs_present",), via="emulator-state",
          why="CloudFormation has no API to change a deployed stack's output value",
          mentions=("VpcId",)),
]
