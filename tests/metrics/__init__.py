"""GET /metrics: token guard, request counts by route template, pool and webhook backlog gauges."""
