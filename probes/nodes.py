"""The resources of a stack by type, and the role each plays, for probes that judge every
resource of a kind (every bucket, every user pool) rather than the one playing a role:
a thin view of the resource graph (:mod:`probes.graph`) in the shape those probes use.
"""
from __future__ import annotations

from typing import Any

from probes import graph
from probes.inventory import Ambiguous, Inventory


def nodes(inv: Inventory, rtype: str) -> list[dict[str, Any]]:
    """Every resource of CloudFormation type ``rtype`` in the stack or referenced by it:
    ``{"type", "id", "logical", "in_stack"}`` (the resource graph's nodes)."""
    return [{"type": n.type, "id": n.id, "logical": n.logical, "in_stack": n.in_stack}
            for n in graph.nodes(inv, rtype)]


def role(inv: Inventory, node: dict[str, Any]) -> str | None:
    """The role ``node`` plays (``"site_bucket"``), from its place in the resource graph, or
    None. Never raises for ambiguity: a resource whose role cannot be told is judged all
    the same, only unnamed."""
    try:
        roles = graph.of(inv).roles_of(node["type"], node["id"])
    except Ambiguous:
        return None
    return roles[0] if roles else None


def label(inv: Inventory, node: dict[str, Any], noun: str) -> str:
    """``bucket X (the site bucket)``: how a finding names a node."""
    name = role(inv, node)
    where = "" if node.get("in_stack", True) else ", outside the stack"
    return f"{noun} {node['id']}" + (f" (the {name.replace('_', ' ')}{where})" if name
                                     else " (outside the stack)" if where else "")
