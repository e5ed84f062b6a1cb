"""One fake inventory for the unit tests: canned AWS answers, no emulator.

``responses`` maps an operation name, or ``(operation, parameter value)`` for answers that
depend on the id asked for, to an answer: a value, a callable taking the call's keyword
parameters, or an exception to raise (a not-found one reads as None under ``missing_ok``,
as the inventory does). ``paginate`` returns the answer's ``key`` list (or the
answer itself when it is already a list). ``roles`` play ``resources.<role>`` overrides, so
the resource graph resolves them without reading anything; the stack declares only what
``declared`` lists (type -> physical ids).
"""
from __future__ import annotations

import json
from types import SimpleNamespace
from typing import Any

from probes.inventory import is_missing


class FakeInventory:
    def __init__(self, responses: dict[Any, Any], roles: dict[str, str] | None = None,
                 parameters: dict[str, str] | None = None, outputs: dict[str, str] | None = None,
                 stack_name: str = "canned", region: str = "us-east-1",
                 declared: dict[str, list[str]] | None = None):
        self.responses = responses
        self.roles = dict(roles or {})
        self.explicit = self.roles
        self.parameters = dict(parameters or {})
        self._outputs = dict(outputs or {})
        self.stack_name = stack_name
        self.session = SimpleNamespace(region=region)
        self.threads = 1
        self.declared = dict(declared or {})  # CloudFormation type -> physical ids in the stack

    def _answer(self, operation: str, params: dict[str, Any], missing_ok: bool = False) -> Any:
        keys = [(operation, v if isinstance(v, str) else json.dumps(v, sort_keys=True))
                for v in params.values()]
        for key in [*keys, operation]:
            if key in self.responses:
                value = self.responses[key]
                if isinstance(value, BaseException):
                    if missing_ok and is_missing(value):  # as the inventory does
                        return None
                    raise value
                return value(**params) if callable(value) else value
        return None

    def call(self, service: str, operation: str, *, region: str | None = None,
             missing_ok: bool = False, **params: Any) -> Any:
        return self._answer(operation, params, missing_ok)

    def paginate(self, service: str, operation: str, key: str, *, region: str | None = None,
                 missing_ok: bool = False, **params: Any) -> list:
        value = self._answer(operation, params, missing_ok)
        return (value or {}).get(key, []) if isinstance(value, dict) else list(value or [])

    def parallel(self, fn, items, threads=None) -> list:
        return [fn(x) for x in items]

    def of_type(self, resource_type: str) -> list:
        return [{"ResourceType": resource_type, "PhysicalResourceId": pid, "LogicalResourceId": pid}
                for pid in self.declared.get(resource_type, [])]

    def ids(self, resource_type: str) -> list:
        return list(self.declared.get(resource_type, []))

    def outputs(self) -> dict[str, str]:
        return self._outputs

    def stack(self) -> dict:
        return {"StackId": f"arn:aws:cloudformation:{self.session.region}:123456789012:stack/"
                           f"{self.stack_name}/x",
                "Parameters": [{"ParameterKey": k, "ParameterValue": v}
                               for k, v in self.parameters.items()],
                "Outputs": [{"OutputKey": k, "OutputValue": v} for k, v in self._outputs.items()]}
