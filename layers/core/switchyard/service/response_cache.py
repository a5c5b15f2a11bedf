"""The response cache on the request path: keys, lookup, write.

Levels, most specific first, all read in one store call and written in one: the exact
request, the normalised one (same context, same content words), and the semantic level's
terms bucket, whose candidate is confirmed by ``semantic.match`` (guard + embedding
cosine), a bounded per-container memory tier first (``cache.memory``). What may be read or written at all is ``cache.policy``'s (sampling, Cache-Control,
no errors, tool calls or truncated answers); a hit answered by a model outside the caller's
key allow-list is a miss; a store failure is a miss, counted and logged.
"""

from __future__ import annotations

import json
import logging
import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from switchyard import telemetry
from switchyard.cache import policy, semantic
from switchyard.cache.keys import CacheKeys, Embed, request_keys
from switchyard.cache.memory import MemoryTier
from switchyard.catalog import Catalog
from switchyard.errors import StoreError
from switchyard.providers.base import ProviderResponse
from switchyard.routing import Decision
from switchyard.service.requests import ChatRequest
from switchyard.service.results import CompletionResult, RouteResult, new_request_id

log = logging.getLogger(__name__)


class CacheStore(Protocol):
    def get_first(self, keys: list[str], now: float) -> tuple[str, dict[str, Any]] | None: ...
    def put_many(self, entries: Mapping[str, Mapping[str, Any]]) -> None: ...


@dataclass(frozen=True)
class CacheConfig:
    max_temperature: float = 1.0
    ttl_seconds: int = 86_400
    ttl_by_task: Mapping[str, int] = field(default_factory=dict)


class ResponseCache:
    def __init__(
        self,
        store: CacheStore | None,
        catalog: Catalog,
        baseline_model: str,
        embed: Embed,
        config: CacheConfig | None = None,
        clock: Callable[[], float] = time.time,
        memory: MemoryTier | None = None,
    ) -> None:
        self.store = store
        self.memory = memory  # checked before the table; written with it
        self.catalog = catalog
        self.baseline_model = baseline_model
        self.embed = embed
        self.config = config or CacheConfig()
        self.clock = clock

    def state(self, req: ChatRequest) -> str:
        """What the cache does with this request: ``off``, ``miss`` (read and written) or ``bypass``."""
        if self.store is None:
            return "off"
        return "miss" if self._readable(req) else "bypass"

    def _readable(self, req: ChatRequest) -> bool:
        return policy.readable(req.body, req.cache_control, self.config.max_temperature)

    def keys(self, req: ChatRequest) -> CacheKeys:
        """The request's keys, computed on first use and kept on the request."""
        if req.cache_keys is None:
            with telemetry.span("classify"):
                req.cache_keys = request_keys(req.tenant.tenant_id, req.model_field, req.body, self.embed)
        return req.cache_keys

    def lookup(self, req: ChatRequest) -> CompletionResult | None:
        """A stored answer for this request (not yet recorded), or None."""
        if self.store is None or not self._readable(req):
            return None
        start = time.perf_counter()
        keys = self.keys(req)
        now = self.clock()
        found = self.memory.get_first(keys.lookup, now) if self.memory is not None else None
        tier = "memory"
        if found is None:
            tier = "table"
            try:
                with telemetry.span("cache"):
                    found = self.store.get_first(keys.lookup, now)
            except StoreError as exc:
                telemetry.count("cache_errors")
                log.warning("cache read failed: %s", exc)
                return None
            if found is None:
                return None
            if self.memory is not None:
                self.memory.put_many({found[0]: found[1]})
        telemetry.count(f"cache_reads_{tier}")
        key, entry = found
        allowed = req.tenant.allowed_models
        if allowed is not None and str(entry.get("model")) not in allowed:
            # answered by a model this key may not use (another key of the tenant asked first)
            telemetry.count("cache_not_allowed")
            return None
        level = keys.level(key)
        similarity = None
        if level == "semantic":
            if keys.probe is None:
                return None
            candidate = semantic.candidate_from_fields({"ref": key, **entry})
            matched = semantic.match(keys.probe, [candidate] if candidate else [])
            if matched is None:  # same terms bucket, but the guard or the threshold says no
                return None
            similarity = round(matched.similarity, 4)
        telemetry.count(f"cache_hits_{level}")
        return self._hit(entry, level, similarity, (time.perf_counter() - start) * 1000)

    def _hit(
        self, entry: Mapping[str, Any], level: str, similarity: float | None, overhead_ms: float
    ) -> CompletionResult:
        model = str(entry["model"])
        spec = self.catalog.get(model)
        base = self.catalog.get(self.baseline_model)
        usage = ProviderResponse({}, int(entry.get("input_tokens", 0)), int(entry.get("output_tokens", 0)))
        base_cost = base.cost(usage.input_tokens, usage.output_tokens) if base else 0.0
        decision = Decision(
            model=model,
            fallbacks=(),
            task_type=str(entry.get("task_type", "")),
            complexity=float(entry.get("complexity", 0.0)),
            mode=str(entry.get("mode", "auto")),
            min_tier=spec.tier if spec else 0,
            quality=0.0,
            estimated_cost_usd=0.0,
            baseline_model=base.id if base else self.baseline_model,
            baseline_cost_usd=round(base_cost, 8),
            reasons=(f"answered from the cache ({level} match)",),
        )
        routed = RouteResult(new_request_id(self.clock()), None, decision, overhead_ms)
        body = json.loads(str(entry["body"]))
        body["model"] = model
        result = CompletionResult(
            routed,
            body,
            model,
            usage,
            [],
            0.0,
            base_cost,
            overhead_ms,
            cache="hit",
            cache_level=level,
            cache_similarity=similarity,
        )
        body["router"] = result.router_info()
        return result

    def write(self, req: ChatRequest, result: CompletionResult) -> None:
        """Store an answer under every level's key, in one store call, if policy allows it."""
        cfg = self.config
        resp = result.usage
        if self.store is None or not policy.writable(
            req.body, resp.body, req.cache_control, cfg.max_temperature
        ):
            return
        d = result.route.decision
        now = self.clock()
        expires_at = math.ceil(now + policy.ttl_seconds(d.task_type, cfg.ttl_seconds, cfg.ttl_by_task))
        entry = {
            "body": json.dumps({k: v for k, v in resp.body.items() if k != "router"}),
            "model": result.model,
            "task_type": d.task_type,
            "complexity": round(d.complexity, 4),
            "mode": d.mode,
            "input_tokens": resp.input_tokens,
            "output_tokens": resp.output_tokens,
            "created_at": int(now),
            "expires_at": expires_at,
        }
        keys = self.keys(req)
        entries: dict[str, Mapping[str, Any]] = {k: entry for k in (keys.exact, keys.normalized) if k}
        if keys.semantic and keys.probe is not None:
            fields = semantic.entry_fields(keys.semantic, keys.probe, expires_at)
            fields.pop("ref")
            entries[keys.semantic] = {**entry, **fields}
        try:
            with telemetry.span("cache_write"):
                self.store.put_many(entries)  # one round trip for every level
            if self.memory is not None:  # what the table holds, and only that
                self.memory.put_many(entries)
        except StoreError as exc:
            telemetry.count("cache_errors")
            log.warning("cache write failed: %s", exc)
