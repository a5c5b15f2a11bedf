"""Powertools glue for the Lambda handlers: one structured logger, ``telemetry`` points
published as CloudWatch metrics (EMF lines on stdout, no API calls), ``telemetry.span``
routed to X-Ray."""

from __future__ import annotations

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.logging.utils import copy_config_to_registered_loggers
from aws_lambda_powertools.metrics import MetricUnit, single_metric

from switchyard import telemetry

NAMESPACE = "Switchyard"


def logger(service: str) -> Logger:
    """The handler's structured JSON logger; the core's module loggers write the same lines."""
    out = Logger(service=service)
    copy_config_to_registered_loggers(
        source_logger=out, include={"switchyard", "switchyard_api", "switchyard_rescore"}
    )
    return out


def tracer(service: str) -> Tracer:
    """A Tracer that patches boto3 and httpx (store and provider calls) and receives the
    core's spans; disabled (a no-op) outside Lambda."""
    t = Tracer(service=service, patch_modules=("boto3", "botocore", "httpx"))
    if not t.disabled:
        telemetry.install_tracer(lambda name: t.provider.in_subsegment(f"## {name}"))
    return t


def metrics(service: str) -> Metrics:
    return Metrics(namespace=NAMESPACE, service=service)


def publish(m: Metrics, service: str) -> int:
    """Add the points queued since the last flush; dimensioned ones go out as their own EMF
    lines (Powertools' single_metric). Returns how many points were published."""
    points = telemetry.flush()
    for p in points:
        unit = MetricUnit(p.unit)
        if not p.dimensions:
            for v in p.values:
                m.add_metric(name=p.name, unit=unit, value=v)
            continue
        for v in p.values:
            with single_metric(
                name=p.name, unit=unit, value=v, namespace=NAMESPACE, default_dimensions={"service": service}
            ) as sm:
                for k, dv in p.dimensions:
                    sm.add_dimension(name=k, value=dv)
    return len(points)
