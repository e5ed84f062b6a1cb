"""Expectations: the thresholds and expected values probes compare against.

Each layer's probe module declares its own pydantic model (defaults match the seed
worklog) with :func:`layer_expectations`; the environment file's ``expectations:``
section is validated against them, strictly (unknown keys are errors).
"""
from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

_MODELS: dict[str, type[BaseModel]] = {}


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def layer_expectations(layer: str):
    """Class decorator: register ``cls`` as the expectations model of ``layer``."""
    def register(cls: type[BaseModel]) -> type[BaseModel]:
        _MODELS[layer] = cls
        return cls
    return register


class Expectations:
    """Attribute access per layer: ``exp.network.flow_log_retention_days``."""

    def __init__(self, values: dict[str, BaseModel], required_layers: tuple[str, ...] = ()):
        self._values = values
        # Layers whose absence from the stack is a failure, not a skip (probes.registry).
        self.required_layers = tuple(required_layers)

    def __getattr__(self, layer: str) -> Any:
        try:
            return self._values[layer]
        except KeyError:
            raise AttributeError(f"no expectations registered for layer {layer!r}") from None

    def as_dict(self) -> dict[str, Any]:
        return {k: v.model_dump() for k, v in self._values.items()}


def models() -> dict[str, type[BaseModel]]:
    from probes import registry
    registry.load_all()  # probe modules register their models on import
    return dict(_MODELS)


def build(raw: dict[str, Any] | None) -> Expectations:
    """Validate ``raw`` (layer -> settings). Raises KeyError / pydantic.ValidationError."""
    known = models()
    raw = raw or {}
    unknown = sorted(set(raw) - set(known))
    if unknown:
        raise KeyError(f"unknown layer(s) {', '.join(unknown)} under expectations; "
                       f"known: {', '.join(sorted(known))}")
    values = {}
    for layer, model in known.items():
        try:
            values[layer] = model(**(raw.get(layer) or {}))
        except ValidationError as exc:
            err = exc.errors()[0]
            key = ".".join(str(x) for x in err.get("loc", ()))
            what = "unknown key" if err["type"] == "extra_forbidden" else err["msg"]
            raise ExpectationError(f"expectations.{layer}.{key}: {what} "
                                   f"(found {err.get('input')!r})") from None
    return Expectations(values)


class ExpectationError(ValueError):
    """A bad value under ``expectations:``; the message names the key."""
