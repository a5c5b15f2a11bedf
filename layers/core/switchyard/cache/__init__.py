"""Response cache: exact and normalised keys in DynamoDB (docs/CACHE.md)."""
