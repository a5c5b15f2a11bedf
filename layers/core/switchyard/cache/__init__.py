"""Response cache (exact match today; the semantic level is planned, see docs/CACHE.md)."""
