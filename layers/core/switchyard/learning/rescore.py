"""The scheduled rescore: feedback since the last run → new confidence matrices.

- Votes of tenants the operator marked as *trusted* (``switchyard tenants trust``; the
  ``trusted-tenants`` state item) update the **shared** matrix, which routes every tenant.
- Every other tenant's votes update only **that tenant's** own cells (its ``tenant#<id>``
  item: Σ score and count per model × task), which its routing lays over the shared matrix.
  So no tenant can move another tenant's routing, however many votes it sends.
- A regression on the shared matrix needs votes from at least two tenants (``regression``).

I/O through the injected stores; the arithmetic is ``scoring.update`` / ``scoring.add_evidence``.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from switchyard.catalog import Catalog
from switchyard.classifier.features import TASK_TYPES
from switchyard.learning.regression import detect
from switchyard.learning.scoring import Observation, add_evidence, update
from switchyard.routing.matrix import PRIOR, ConfidenceMatrix, evidence_from_item, evidence_to_item

log = logging.getLogger(__name__)
STATE = "rescore-state"
TRUSTED = "trusted-tenants"  # state item: {"tenants": [tenant ids whose votes train the shared matrix]}
EPOCH = "1970-01-01T00:00:00.000+00:00"
MAX_DAYS = 35  # a first run, or a long gap, reads at most this far back


class Matrices(Protocol):
    def get(self) -> dict[str, Any] | None: ...
    def put(self, cells: Any, version: str, updated_at: str, previous: str | None = None) -> None: ...
    def get_tenant(self, tenant_id: str) -> dict[str, Any] | None: ...
    def put_tenant(self, tenant_id: str, cells: Any, version: str, updated_at: str) -> None: ...


class Feedback(Protocol):
    def since(self, days: list[str], after_ts: str, until_ts: str) -> list[dict[str, Any]]: ...
    def mark_counted(self, tenant_request: str, rater: str, score: float) -> None: ...


class State(Protocol):
    def get(self, name: str) -> dict[str, Any] | None: ...
    def put(self, name: str, values: Any) -> None: ...


def days_between(after: datetime, until: datetime) -> list[str]:
    start = max(after, until - timedelta(days=MAX_DAYS)).date()
    n = (until.date() - start).days
    return [(start + timedelta(days=i)).isoformat() for i in range(n + 1)]


def run(
    catalog: Catalog, matrices: Matrices, feedback: Feedback, state: State, now: datetime
) -> dict[str, Any]:
    last = (state.get(STATE) or {}).get("last_run", EPOCH)
    until = now.astimezone(UTC).isoformat(timespec="milliseconds")
    items = feedback.since(days_between(datetime.fromisoformat(last), now), last, until)
    stored = matrices.get()
    matrix = ConfidenceMatrix.from_item(stored["cells"], str(stored["version"])) if stored else PRIOR
    rated = [i for i in items if i.get("model") and i.get("task_type")]
    observations = [
        Observation(
            str(i["model"]), str(i["task_type"]), float(i["score"]), source=str(i.get("tenant_id", ""))
        )
        for i in rated
    ]
    # a changed vote: take back what an earlier run counted for this (request, rater)
    observations += [
        Observation(
            str(i["model"]),
            str(i["task_type"]),
            float(i["counted_score"]),
            weight=-1.0,
            source=str(i.get("tenant_id", "")),
        )
        for i in rated
        if i.get("counted_score") is not None
    ]
    trusted = {str(t) for t in (state.get(TRUSTED) or {}).get("tenants", [])}
    shared = [o for o in observations if o.source in trusted]
    version = now.strftime("%Y%m%dT%H%M%S.%fZ")
    tiers = {m.id: m.tier for m in catalog.models}
    regressions = detect(matrix, shared, tiers)
    new, changes = update(matrix, shared, tiers, version)
    if changes:
        matrices.put(new.to_item(), version, until, previous=stored["version"] if stored else None)
    own: dict[str, list[Observation]] = {}
    for o in observations:
        if o.source not in trusted:
            own.setdefault(o.source, []).append(o)
    for tenant_id, obs in sorted(own.items()):
        item = matrices.get_tenant(tenant_id)
        before = evidence_from_item(item["cells"]) if item else {}
        matrices.put_tenant(tenant_id, evidence_to_item(add_evidence(before, obs, tiers)), version, until)
    for i in rated:  # after the matrix is written: a failed run counts these again next time
        feedback.mark_counted(str(i["tenant_request"]), str(i["rater"]), float(i["score"]))
    state.put(STATE, {"last_run": until, "last_version": new.version if changes else matrix.version})
    current = new if changes else matrix
    summary = {
        "feedback_read": len(items),
        "version": new.version if changes else matrix.version,
        "changed": [
            {
                "model": c.model,
                "task_type": c.task_type,
                "before": round(c.before, 4),
                "after": round(c.after, 4),
                "votes": c.votes,
                "n": c.n_after,
            }
            for c in changes
        ],
        "regressions": [r.as_dict() for r in regressions],
        # untrusted tenants whose own cells this run updated (their routing only)
        "tenants_updated": sorted(own),
        # every cell's quality after the run (learned or prior), for the per-cell metrics
        "quality": {
            m.id: {t: round(current.quality(m.id, m.tier, t), 4) for t in TASK_TYPES} for m in catalog.models
        },
    }
    log.info(
        "rescore finished",
        extra={"feedback_read": len(items), "cells_changed": len(changes), "regressions": len(regressions)},
    )
    for r in regressions:
        log.warning("quality regression", extra={"regression": r.as_dict()})
    return summary
