"""The app served by uvicorn on loopback, for the SDK tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from switchyard_tools.devtools.fake_upstream import FakeUpstream
from switchyard_tools.devtools.serve import serving


@pytest.fixture
def served(provider_env: FakeUpstream) -> Iterator[str]:
    with serving() as base_url:
        yield base_url
