"""The confidence matrix as the API reads it: cached per container, refreshed every
``refresh_seconds``; a store failure degrades to the last good matrix (or the prior)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from threading import Lock
from typing import Any, Protocol

from switchyard import telemetry
from switchyard.errors import StoreError
from switchyard.routing.matrix import PRIOR, ConfidenceMatrix

log = logging.getLogger(__name__)


class MatrixSource(Protocol):
    def get(self) -> dict[str, Any] | None: ...


class MatrixCache:
    def __init__(self, store: MatrixSource, refresh_seconds: float, clock: Callable[[], float]) -> None:
        self.store = store
        self.refresh_seconds = refresh_seconds
        self.clock = clock
        self._matrix = PRIOR
        self._loaded_at: float | None = None
        self._lock = Lock()

    def get(self) -> ConfidenceMatrix:
        now = self.clock()
        if self._loaded_at is not None and now - self._loaded_at < self.refresh_seconds:
            return self._matrix
        with self._lock:
            if self._loaded_at is not None and now - self._loaded_at < self.refresh_seconds:
                return self._matrix
            try:
                item = self.store.get()
                if item is not None:
                    self._matrix = ConfidenceMatrix.from_item(item.get("cells", {}), str(item.get("version")))
            except StoreError as exc:
                telemetry.count("matrix_read_errors")
                log.warning("confidence matrix read failed, using %s: %s", self._matrix.version, exc)
            self._loaded_at = now  # retry after the interval, not on every request
            return self._matrix
