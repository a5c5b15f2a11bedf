"""Per-model fault injection of the fake upstream: what to break for which model, and how.

:class:`Faults` holds the configuration, one mapping (or set) per kind of fault, keyed by the
upstream model name. :meth:`Faults.apply` runs before a request is answered: it waits, hangs
up, answers with an injected error status or with a malformed body, whatever the model is set
up for. The faults are the same for every wire format (the injected error body included).
"""

from __future__ import annotations

import random
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from .exchange import Exchange

MALFORMED_BODY = b'{"choices": [ this is not json'


# what OpenAI answers a wrong key: the masked key is in the message (it must not reach a tenant)
BAD_KEY_MESSAGE = "Incorrect API key provided: sk-proj-****************************9876."


def injected_error(status: int) -> dict[str, Any]:
    """The body of an injected failure."""
    if status in (401, 403):
        return {
            "error": {"message": BAD_KEY_MESSAGE, "type": "invalid_request_error", "code": "invalid_api_key"}
        }
    return {"error": {"message": f"injected {status}", "type": "server_error"}}


@dataclass
class Faults:
    """The faults injected per upstream model."""

    fail: dict[str, int] = field(default_factory=dict)  # status to fail with
    finish: dict[str, str] = field(default_factory=dict)  # finish_reason to answer with (e.g. "length")
    drop_after: dict[str, int] = field(default_factory=dict)  # close a stream after this many chunks
    delay: dict[str, float] = field(default_factory=dict)  # seconds to wait before answering
    retry_after: dict[str, str] = field(default_factory=dict)  # Retry-After header sent with failures
    fail_times: dict[str, int] = field(default_factory=dict)  # fail only this many more calls
    fail_rate: dict[str, float] = field(default_factory=dict)  # share of calls that fail with 500 (seeded)
    malformed: set[str] = field(default_factory=set)  # answer 200 with a body that is not JSON
    hang_up: set[str] = field(default_factory=set)  # close the connection without answering
    chunk_delay: dict[str, float] = field(default_factory=dict)  # seconds between stream chunks (OpenAI)
    # seconds of silence after the finish chunk
    stall_after_finish: dict[str, float] = field(default_factory=dict)
    # an observation, not a fault: time.monotonic() when each OpenAI stream's first chunk was written
    first_chunk_at: list[float] = field(default_factory=list)

    def clear(self) -> None:
        """Forget every fault (in place: the mappings and sets stay the same objects)."""
        for faults in (
            self.fail,
            self.finish,
            self.drop_after,
            self.delay,
            self.retry_after,
            self.fail_times,
            self.fail_rate,
            self.chunk_delay,
            self.stall_after_finish,
        ):
            faults.clear()
        self.malformed.clear()
        self.hang_up.clear()
        self.first_chunk_at.clear()

    def status(self, model: str, rng: random.Random) -> int | None:
        """The status this call of the model fails with, None when it does not fail.

        Counts the call against ``fail_times`` and draws from ``rng`` for ``fail_rate`` (only
        when no other failure applies), so it is called once per request, under the lock.
        """
        status = self.fail.get(model)
        if status and model in self.fail_times:
            if self.fail_times[model] <= 0:
                status = None
            else:
                self.fail_times[model] -= 1
        rate = self.fail_rate.get(model, 0.0)
        if not status and rate and rng.random() < rate:
            status = 500
        return status

    def apply(self, model: str, rng: random.Random, lock: threading.Lock, to: Exchange) -> bool:
        """Apply the faults injected for this model; True when the request was answered."""
        if model in self.delay:
            time.sleep(self.delay[model])
        if model in self.hang_up:
            to.hang_up()
            return True
        with lock:
            status = self.status(model, rng)
        if status:
            headers = {"retry-after": self.retry_after[model]} if model in self.retry_after else {}
            to.send_json(status, injected_error(status), headers)
            return True
        if model in self.malformed:
            to.send_raw(200, MALFORMED_BODY)
            return True
        return False
