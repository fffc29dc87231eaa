"""Prometheus metrics at /metrics, behind a bearer token set by REINTEGRASI_METRICS_TOKEN."""
