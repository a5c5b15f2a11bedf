"""The cache keys of one request, computed once: the exact key, the normalised key (same
context, same content words), and the semantic level's terms key with its probe. Pure but
for the embedding function it is given."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from switchyard.cache import policy, semantic
from switchyard.cache.normalize import normalized_key_in
from switchyard.cache.semantic import Probe

Embed = Callable[[str], NDArray[np.floating[Any]]]


@dataclass(frozen=True)
class CacheKeys:
    exact: str
    normalized: str | None
    semantic: str | None  # the terms-bucket key (the one semantic key the app writes)
    probe: Probe | None  # what a semantic candidate is compared with

    @property
    def lookup(self) -> list[str]:
        """Every key, most specific first: the order a hit is preferred in."""
        return [k for k in (self.exact, self.normalized, self.semantic) if k]

    def level(self, key: str) -> str:
        return "exact" if key == self.exact else "semantic" if key == self.semantic else "normalized"


def request_keys(tenant_id: str, model_field: str, request: Mapping[str, Any], embed: Embed) -> CacheKeys:
    """The keys of ``request``; the context is hashed once for the normalised and semantic
    levels, and the prompt is embedded only when the semantic level can use it."""
    context = policy.context_key(tenant_id, model_field, request)
    norm = normalized_key_in(tenant_id, request, context)
    text = semantic.last_user_text(request)
    probe = semantic.probe(text, embed(text)) if text is not None and semantic.eligible(text) else None
    sem = semantic.terms_key(tenant_id, semantic.fingerprint(context), probe) if probe else None
    return CacheKeys(policy.exact_key(tenant_id, model_field, request), norm, sem, probe)
