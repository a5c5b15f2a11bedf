"""The request path: classify, decide, dispatch with failover, record."""
