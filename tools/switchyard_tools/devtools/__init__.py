"""Local development tooling (not shipped in the Lambda layer): DynamoDB Local, tables
from template.yaml, in-process invocation of the template's functions."""
