"""The request-path trace, as an engine and hop checks per layer group.

:mod:`probes.trace.engine` walks an ordered list of hop checks and turns what each finds
into a :class:`~probes.trace.engine.Hop`; the hop checks live by the layers whose
resources they follow: :mod:`~probes.trace.edge` (domain, alias, certificate,
distribution, site and API origins), :mod:`~probes.trace.waf` (the web ACL, and the API
closed to callers around it), :mod:`~probes.trace.api` (stage, methods, authorizer, user
pool, VPC link), :mod:`~probes.trace.compute` (NLB, target group, Auto Scaling group),
:mod:`~probes.trace.network` (the app port, the way to Secrets Manager, the database port)
and :mod:`~probes.trace.database` (the instance and its secret). The hop names, their
order and the probe ``e2e.request_path`` are in :mod:`probes.path`.
"""
