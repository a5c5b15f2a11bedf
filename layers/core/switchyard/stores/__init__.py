"""Persistence behind small interfaces; DynamoDB implementations take an injected client."""
