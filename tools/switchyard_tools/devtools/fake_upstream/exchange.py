"""The interface through which a request is answered: :class:`Exchange`, implemented by
:class:`.server.Handler` and used by :mod:`.faults` and the wire-format modules (which so do
not import the server, the module that imports them)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Protocol


class Exchange(Protocol):
    """One request being answered."""

    @property
    def path(self) -> str: ...

    def fault(self, model: str) -> bool:
        """Apply the faults injected for this model; True when the request was answered."""
        ...

    def record_success(self) -> None:
        """Record the request as answered with 200 (``send_json`` does so itself)."""
        ...

    def hang_up(self) -> None:
        """Close the connection without answering."""
        ...

    def send_json(
        self, status: int, payload: dict[str, Any], headers: dict[str, str] | None = None
    ) -> None: ...

    def send_raw(self, status: int, data: bytes, headers: dict[str, str] | None = None) -> None: ...

    def send_stream(self, content_type: str, frames: Iterable[bytes], drop_after: int | None) -> bool:
        """A 200 answer of frames; False when cut short after ``drop_after`` frames."""
        ...

    def write(self, data: bytes) -> None:
        """Write and flush (after ``send_stream``)."""
        ...
