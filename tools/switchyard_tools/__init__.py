"""Switchyard's tools: the ``switchyard`` command, benchmarks, local development, the savings
report and the prior fitting. Installed with the project (``pip install -e ".[dev]"``), never
shipped in the Lambda layer: the core (``switchyard``) and the function packages never import
it (the import contract in pyproject.toml, checked in CI)."""
