"""The confidence matrix as the API reads it: the shared matrix, and per tenant its own votes
laid over it, each cached per container and refreshed every ``refresh_seconds``; a store
failure degrades to the last good value (or the prior / no own votes)."""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Callable
from threading import Lock
from typing import Any, Protocol

from switchyard import telemetry
from switchyard.errors import StoreError
from switchyard.routing.matrix import PRIOR, ConfidenceMatrix, Evidence, evidence_from_item

log = logging.getLogger(__name__)
MAX_TENANTS = 4096  # tenants whose own votes a container keeps (least recently used dropped)


class MatrixSource(Protocol):
    def get(self) -> dict[str, Any] | None: ...
    def get_tenant(self, tenant_id: str) -> dict[str, Any] | None: ...


Own = dict[str, dict[str, Evidence]]


class MatrixCache:
    def __init__(self, store: MatrixSource, refresh_seconds: float, clock: Callable[[], float]) -> None:
        self.store = store
        self.refresh_seconds = refresh_seconds
        self.clock = clock
        self._matrix = PRIOR
        self._loaded_at: float | None = None
        self._own: OrderedDict[str, tuple[float, Own]] = OrderedDict()
        self._lock = Lock()

    def get(self, tenant_id: str | None = None) -> ConfidenceMatrix:
        """The shared matrix, with ``tenant_id``'s own votes over it when it has any."""
        shared = self._shared()
        if tenant_id is None:
            return shared
        own = self._tenant(tenant_id)
        return shared.for_tenant(own) if own else shared

    def _fresh(self, loaded_at: float | None, now: float) -> bool:
        return loaded_at is not None and now - loaded_at < self.refresh_seconds

    def _shared(self) -> ConfidenceMatrix:
        now = self.clock()
        if self._fresh(self._loaded_at, now):
            return self._matrix
        with self._lock:
            if self._fresh(self._loaded_at, now):
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

    def _tenant(self, tenant_id: str) -> Own:
        now = self.clock()
        with self._lock:
            known = self._own.get(tenant_id)
            if known is not None:
                self._own.move_to_end(tenant_id)
                if self._fresh(known[0], now):
                    return known[1]
        own: Own = known[1] if known else {}
        try:
            item = self.store.get_tenant(tenant_id)
            own = evidence_from_item(item.get("cells", {})) if item else {}
        except StoreError as exc:
            telemetry.count("tenant_matrix_read_errors")
            log.warning("tenant matrix read failed: %s", type(exc).__name__)
        with self._lock:
            self._own[tenant_id] = (now, own)
            self._own.move_to_end(tenant_id)
            while len(self._own) > MAX_TENANTS:
                self._own.popitem(last=False)
        return own
