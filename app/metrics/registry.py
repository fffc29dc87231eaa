"""The app's metrics: requests and latency by route template, database pool, webhook backlog."""

from collections.abc import Iterator
from typing import Any

from fastapi import FastAPI
from prometheus_client import CollectorRegistry, Counter, Histogram, disable_created_metrics
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from app.bulk import volume

# The HTTP server passes any token as a method: others share one label, so that a scanner's
# invented methods cannot grow the registry without bound.
KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
OTHER_METHOD = "OTHER"

# `*_created` series double the output and Prometheus does not use them (process-wide switch).
disable_created_metrics()

# (metric, help, pool method): what SQLAlchemy's queue pools report; StaticPool and NullPool have none.
_POOL_GAUGES = (
    ("reintegrasi_db_pool_size", "Connections the pool keeps open.", "size"),
    ("reintegrasi_db_pool_checked_out", "Connections in use by requests.", "checkedout"),
    ("reintegrasi_db_pool_checked_in", "Idle connections in the pool.", "checkedin"),
    ("reintegrasi_db_pool_overflow", "Connections open beyond the pool size.", "overflow"),
)


class Metrics:
    """One registry per app: the suite builds several apps, the global registry refuses duplicates."""

    def __init__(self, app: FastAPI) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "reintegrasi_http_requests",
            "HTTP requests answered, by method, route template and status.",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "reintegrasi_http_request_duration_seconds",
            "Time to answer a request, by method and route template.",
            ["method", "route"],
            registry=self.registry,
        )
        self._series: dict[tuple[str, str, int], tuple[Any, Any]] = {}
        # Set by each scrape; None while the webhooks domain is absent (then the metric is too).
        self.webhook_backlog: float | None = None
        self.registry.register(_StateCollector(app, self))

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        """Count one answered request; `route` is a template, never the raw path or query."""
        series = self._series.get((method, route, status))
        if series is None:
            series = self._series_of(method, route, status)
        counter, histogram = series
        counter.inc()
        histogram.observe(seconds)

    def _series_of(self, method: str, route: str, status: int) -> tuple[Any, Any]:
        # Kept per (method, route, status): labels() validates and locks on every call (hot path).
        # Bounded: methods are a fixed set, routes are templates and statuses are few.
        label = method if method in KNOWN_METHODS else OTHER_METHOD
        series = (self.requests.labels(label, route, str(status)), self.latency.labels(label, route))
        if label == method:
            self._series[(method, route, status)] = series
        return series


class _StateCollector(Collector):
    """Gauges read at scrape time: the engine is replaced in tests, so it is looked up each time."""

    def __init__(self, app: FastAPI, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    def describe(self) -> list[Metric]:
        return []  # names vary with the pool class; nothing to check for duplicates

    def collect(self) -> Iterator[Metric]:
        pool = self.app.state.engine.sync_engine.pool
        for name, documentation, method in _POOL_GAUGES:
            read = getattr(pool, method, None)
            if callable(read):
                # A queue pool's overflow counts up from -size until the pool is full.
                value = max(read(), 0) if method == "overflow" else read()
                yield GaugeMetricFamily(name, documentation, value=value)
        if self.metrics.webhook_backlog is not None:
            yield GaugeMetricFamily(
                "reintegrasi_webhook_deliveries_pending",
                "Webhook deliveries waiting to be sent (NaN: the database did not answer).",
                value=self.metrics.webhook_backlog,
            )
        yield CounterMetricFamily(
            "reintegrasi_read_volume_flags",
            "Accounts flagged for reading more persons in an hour than the bound (this process).",
            value=volume.FLAGGED["total"],
        )
