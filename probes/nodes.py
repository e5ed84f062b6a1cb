"""The resources of a stack by type, and the role each plays, for probes that judge every
resource of a kind (every bucket, every user pool) rather than the one playing a role:
a thin view of the resource graph (:mod:`probes.graph`) in the shape those probes use.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from probes import graph, reads
from probes.inventory import Ambiguous, Inventory
from probes.result import Finding, failed, skipped


def nodes(inv: Inventory, rtype: str) -> list[dict[str, Any]]:
    """Every resource of CloudFormation type ``rtype`` in the stack or referenced by it:
    ``{"type", "id", "logical", "in_stack"}`` (the resource graph's nodes)."""
    return [{"type": n.type, "id": n.id, "logical": n.logical, "in_stack": n.in_stack}
            for n in graph.nodes(inv, rtype)]


def role(inv: Inventory, node: dict[str, Any]) -> str | None:
    """The role ``node`` plays (``"site_bucket"``), from its place in the resource graph
    (or the trail's bucket), or None. Never raises for ambiguity: a resource whose role
    cannot be told is judged all the same, only unnamed."""
    try:
        roles = graph.of(inv).roles_of(node["type"], node["id"])
    except Ambiguous:
        roles = []
    if roles:
        return roles[0]
    if node["type"] == "AWS::S3::Bucket":  # a role the references give: the trail's bucket
        for trail in nodes(inv, "AWS::CloudTrail::Trail"):
            if (reads.trail(inv, trail["id"]) or {}).get("S3BucketName") == node["id"]:
                return "trail_bucket"
    return None


def label(inv: Inventory, node: dict[str, Any], noun: str) -> str:
    """``bucket X (the site bucket)``: how a finding names a node."""
    name = role(inv, node)
    where = "" if node.get("in_stack", True) else ", outside the stack"
    return f"{noun} {node['id']}" + (f" (the {name.replace('_', ' ')}{where})" if name
                                     else " (outside the stack)" if where else "")


def described(inv: Inventory, rtype: str, describe: Callable[[dict[str, Any]], Any]
              ) -> list[tuple[dict[str, Any], Any]]:
    """(node, ``describe(node)``) for every node of ``rtype``, read side by side."""
    items = nodes(inv, rtype)
    return list(zip(items, inv.parallel(describe, items), strict=True))


def judge_each(inv: Inventory, pairs: list[tuple[dict[str, Any], Any]], noun: str,
               judge: Callable[[dict[str, Any], Any], Finding]) -> list[Finding]:
    """One finding per node: ``judge(node, description)``; a node whose description is None
    no longer exists (deleted outside CloudFormation) and fails; no node at all is a skip."""
    if not pairs:
        return [skipped(f"stack {noun}s", f"the stack has no {noun}")]
    return [judge(node, desc) if desc is not None else
            failed(label(inv, node, noun), "does not exist", f"the stack's {noun} to exist",
                   "Check the stack events and drift: it was deleted outside CloudFormation")
            for node, desc in pairs]


def distributions(inv: Inventory) -> list[dict[str, Any]]:
    """Every CloudFront distribution of the stack, described (through the graph's read, so
    shared with the edge layer)."""
    pairs = described(inv, "AWS::CloudFront::Distribution", lambda n: graph.of(inv).distribution(n["id"]))
    return [dist for _, dist in pairs if dist]
