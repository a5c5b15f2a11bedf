"""The semantic cache level: the same question in other words, in the same context. Pure.

A cached answer may be served for another prompt only when

1. the *context* is identical: tenant, requested model field, every message but the last
   (system prompt, earlier turns, tool results), tools, response format and sampling
   parameters (``context_fingerprint``; the same material as ``policy.exact_key``), so a
   follow-up never matches across conversations;
2. the *guard* passes: both last user turns have the same canonical terms in the same
   order, the same numbers and answer-changing symbols (currencies, °, %, operators) in the
   same order, and the same negation parity (``Probe``/``guard``). Canonical terms are the
   normalised level's terms (``normalize.signature``) with a few auxiliaries that never
   change the answer dropped (``do``/``does``/``can``/``could``), ``is``/``are``/``am``/``be``
   and ``what``/``which`` merged, and the non-directional prepositions (``of``, ``in``,
   ``on``, ``at``, ``for``, ``with``, ``about``, ``around``) dropped. Directional words
   (``from``, ``to``, ``into``, ``than``, ``vs``) stay, as do pronouns, tense, question
   words, units, languages and entities: "EN->FR" / "FR->EN", "°C to °F" / "°F to °C",
   "200 is 50" / "50 is 200", "teach an adult" / "teach a kid" never match. No stemming:
   "news"/"new", "https"/"http", "Windows"/"window" differ;
3. the prompt embeddings (unit-norm, from the classifier) have cosine >= ``THRESHOLD``.

Why a guard and not just a threshold: measured on ``paraphrase/train/pairs.jsonl`` (294
pairs), no cosine threshold of either our static embedding or the contextual
all-MiniLM-L6-v2 reaches 99% precision (PAWS swapped-entity non-duplicates score up to
0.998 contextual, 1.000 static; QQP "adult"/"kid" 0.90), and on the hand-written LLM-prompt
pairs (``training/data/cache_pairs.jsonl``) a non-duplicate reaches static cosine 1.000. With
the guard no threshold from 0.0 to 0.95 served a wrong answer on either file, and a
contextual-MiniLM threshold behind a looser guard found no extra safe hits, so only the
static embedding is used; the threshold is a backstop for the dropped words. Recall is
low (``switchyard bench cache``): paraphrases that change content words are not served.

Candidates are found in DynamoDB by key. The app writes and reads one semantic key per
entry, its canonical terms bucket (``terms_key``: ``sem#<tenant>#<context>#t#<bucket>``), in
the same BatchWriteItem/BatchGetItem as the exact and normalised keys (``cache.keys``), and
``match`` confirms the candidate in numpy. Every candidate the guard can accept shares that
bucket, so the ``BANDS`` locality-sensitive-hash band keys (random hyperplanes, fixed seed,
``BITS`` bits a band; ``bucket_keys``) would add writes, not hits: they are kept, tested
and benchmarked (``switchyard bench cache``), not written (docs/CACHE.md).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np
from numpy.typing import NDArray

from switchyard.cache.normalize import signature
from switchyard.cache.policy import context_key
from switchyard.classifier.text import content_text

DIM = 256  # the classifier's embedding size
BANDS = 8  # LSH bands: each entry is written under BANDS + 1 keys
BITS = 8  # hyperplanes a band: 256 buckets a band
SEED = 20_240_605  # fixed: changing it re-buckets every stored entry
THRESHOLD = 0.90  # cosine of the static embeddings, on top of the guard
MIN_TERMS = 2  # "hi", "why?" and one-word prompts are left to the exact levels
MAX_CHARS = 2000  # longer prompts (documents to work on) are left to the exact levels

# Dropped: auxiliaries that never change the answer ("how do I" = "how can I" = "how I")
# and prepositions that do not carry a direction ("books on X" = "book for X").
SOFT = frozenset(["do", "does", "can", "could", "of", "in", "on", "at", "for", "with", "about", "around"])
MERGE = {"are": "is", "am": "is", "be": "is", "which": "what"}


@dataclass(frozen=True)
class Probe:
    """What the semantic level compares: the guard's terms and the prompt embedding. A probe
    read back from the cache has no terms, only their digest (the cache stores no words)."""

    terms: tuple[str, ...]  # canonical content terms, in order, repeats kept
    numbers: tuple[str, ...]  # numbers and answer-changing symbols, in order of appearance
    negated: bool
    embedding: NDArray[np.float32]  # unit norm, [DIM]
    stored_digest: str | None = None  # set on probes read back from the cache

    @property
    def digest(self) -> str:
        """SHA-256 of what the guard compares (terms, numbers, negation): equal digests, equal guard."""
        if self.stored_digest is not None:
            return self.stored_digest
        material = (
            "\x1f".join(self.terms) + "\x1e" + "\x1f".join(self.numbers) + ("\x1e-" if self.negated else "")
        )
        return hashlib.sha256(material.encode()).hexdigest()


@dataclass(frozen=True)
class Candidate:
    """A stored entry read back from a bucket: ``ref`` points at the cached answer."""

    ref: str
    probe: Probe


@dataclass(frozen=True)
class Match:
    ref: str
    similarity: float


def canonical_terms(text: str) -> tuple[tuple[str, ...], tuple[str, ...], bool]:
    """(terms, numbers and symbols, negated) of a prompt, for the guard. Order is kept
    everywhere: "200 is 50" / "50 is 200" and "Anna gives Ben" / "Ben gives Anna" differ."""
    sig = signature(text)
    terms = tuple(MERGE.get(w, w) for w in sig.terms if w not in SOFT)
    return terms, sig.numbers, sig.negated


def last_user_text(request: Mapping[str, Any]) -> str | None:
    """The last message's text when it is a user turn, else None."""
    messages = list(request.get("messages", []))
    if not messages or messages[-1].get("role") != "user":
        return None
    return content_text(messages[-1].get("content"))


def eligible(text: str) -> bool:
    """Whether a prompt can use the semantic level at all (checked before embedding it)."""
    return len(text) <= MAX_CHARS and len(canonical_terms(text)[0]) >= MIN_TERMS


def probe(text: str, embedding: NDArray[np.floating[Any]]) -> Probe | None:
    """The probe of a last user turn and its embedding; None when the prompt is too short or
    too long for the semantic level."""
    if len(text) > MAX_CHARS:
        return None
    terms, numbers, negated = canonical_terms(text)
    if len(terms) < MIN_TERMS:
        return None
    e = np.asarray(embedding, dtype=np.float32).reshape(-1)
    if e.shape != (DIM,) or not np.isfinite(e).all():
        raise ValueError(f"embedding must be {DIM} finite floats, got shape {e.shape}")
    norm = float(np.linalg.norm(e))
    if norm == 0.0:
        return None
    return Probe(terms, numbers, negated, (e / np.float32(norm)).astype(np.float32))


def context_fingerprint(tenant_id: str, model_field: str, request: Mapping[str, Any]) -> str:
    """Hash of everything but the last message that changes the answer (system prompt,
    earlier turns, tools, tool choice, response format, sampling parameters, model field)."""
    return fingerprint(context_key(tenant_id, model_field, request))


def fingerprint(context: str) -> str:
    """``context_fingerprint`` of an already computed ``policy.context_key``."""
    return hashlib.sha256(context.encode()).hexdigest()[:32]


@lru_cache(maxsize=1)
def hyperplanes() -> NDArray[np.float32]:
    """[BANDS * BITS, DIM] Gaussian hyperplanes from the fixed seed."""
    rng = np.random.default_rng(SEED)
    return rng.standard_normal((BANDS * BITS, DIM)).astype(np.float32)


def lsh_buckets(embedding: NDArray[np.float32]) -> list[int]:
    """One bucket number (BITS sign bits) per band."""
    bits = (hyperplanes() @ np.asarray(embedding, dtype=np.float32)) >= 0.0
    weights = 1 << np.arange(BITS)
    return [int(b) for b in (bits.reshape(BANDS, BITS) * weights).sum(axis=1)]


def terms_bucket(p: Probe) -> str:
    return p.digest[:16]


def terms_key(tenant_id: str, fingerprint: str, p: Probe) -> str:
    """Band ``t``, the canonical terms: every candidate the guard accepts shares it, so it is
    the one key the app reads and writes (docs/CACHE.md)."""
    return f"sem#{tenant_id}#{fingerprint}#t#{terms_bucket(p)}"


def bucket_keys(tenant_id: str, fingerprint: str, p: Probe) -> list[str]:
    """Keys an entry would be written under with LSH: BANDS bands, then band ``t``."""
    prefix = f"sem#{tenant_id}#{fingerprint}#"
    keys = [f"{prefix}{band}#{bucket:02x}" for band, bucket in enumerate(lsh_buckets(p.embedding))]
    keys.append(terms_key(tenant_id, fingerprint, p))
    return keys


def guard(query: Probe, candidate: Probe) -> bool:
    """What must match exactly: canonical terms (so entities, units, languages, pronouns,
    question words and their order), numbers and negation parity."""
    return query.digest == candidate.digest


def match(query: Probe, candidates: Iterable[Candidate], threshold: float = THRESHOLD) -> Match | None:
    """The most similar candidate that passes the guard at cosine >= threshold, or None."""
    passing = [c for c in candidates if guard(query, c.probe)]
    if not passing:
        return None
    sims = np.stack([c.probe.embedding for c in passing]) @ query.embedding
    i = int(np.argmax(sims))
    if float(sims[i]) < threshold:
        return None
    return Match(passing[i].ref, float(sims[i]))


# ---- what a bucket item stores per entry (DynamoDB attribute values: str, bytes, list, bool)
def entry_fields(ref: str, p: Probe, expires_at: int) -> dict[str, Any]:
    """One candidate entry as stored (~600 bytes): the embedding (float16) and the digest of
    the guard's terms, never the words themselves (docs/OPERATIONS.md, privacy)."""
    return {
        "ref": ref,
        "emb": p.embedding.astype(np.float16).tobytes(),
        "digest": p.digest,
        "negated": p.negated,
        "expires_at": int(expires_at),
    }


def candidate_from_fields(fields: Mapping[str, Any]) -> Candidate | None:
    """The inverse of ``entry_fields``; None for a malformed entry (never raises)."""
    try:
        emb = np.frombuffer(bytes(fields["emb"]), dtype=np.float16).astype(np.float32)
        if emb.shape != (DIM,):
            return None
        norm = float(np.linalg.norm(emb))
        if norm == 0.0 or not np.isfinite(norm):
            return None
        unit = (emb / np.float32(norm)).astype(np.float32)
        negated = bool(fields["negated"])
        if "digest" in fields:
            return Candidate(str(fields["ref"]), Probe((), (), negated, unit, str(fields["digest"])))
        # an entry written before digests (at most one TTL ago): its words give the digest
        terms = tuple(str(t) for t in fields["terms"])
        numbers = tuple(str(n) for n in fields.get("numbers", ()))
        return Candidate(str(fields["ref"]), Probe(terms, numbers, negated, unit))
    except (KeyError, TypeError, ValueError):
        return None


def live(candidates: Sequence[Mapping[str, Any]], now: float) -> list[Candidate]:
    """Decoded, unexpired candidates of the bucket items read for a query, deduplicated."""
    out: dict[str, Candidate] = {}
    for f in candidates:
        if float(f.get("expires_at", 0)) <= now:
            continue
        c = candidate_from_fields(f)
        if c is not None:
            out.setdefault(c.ref, c)
    return list(out.values())
