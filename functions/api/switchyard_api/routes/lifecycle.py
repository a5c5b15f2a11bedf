"""The SnapStart hooks the Lambda Web Adapter calls around a snapshot (the
``AWS_LWA_SNAPSTART_*_PATH`` variables in template.yaml). They are not API routes: API
Gateway routes only /v1/* and /health, and the adapter refuses these paths from outside.

- before the checkpoint: close the pooled connections (they would not survive the snapshot);
- after a restore, before traffic: rebuild the clients and re-seed ``random`` (every restored
  environment would otherwise share the snapshot's state; ``secrets`` reads the OS, which
  Lambda re-seeds). The model, catalog and imports stay: they are why the snapshot exists.
"""

from __future__ import annotations

import random
from typing import Any

from fastapi import APIRouter

from switchyard_api import deps

router = APIRouter(include_in_schema=False)


@router.post("/_switchyard/before-checkpoint")
async def before_checkpoint() -> dict[str, Any]:
    deps.get_container().close_connections()
    return {"status": "ready for the snapshot"}


@router.post("/_switchyard/after-restore")
async def after_restore() -> dict[str, Any]:
    random.seed()
    deps.reconnect()
    return {"status": "restored"}
