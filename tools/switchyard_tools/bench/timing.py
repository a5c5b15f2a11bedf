"""Percentiles of measured durations."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def summary_ms(samples_s: Sequence[float]) -> dict[str, float]:
    a = np.asarray(samples_s, dtype=np.float64) * 1000.0
    return {
        "n": len(a),
        "p50_ms": round(float(np.percentile(a, 50)), 3),
        "p90_ms": round(float(np.percentile(a, 90)), 3),
        "p99_ms": round(float(np.percentile(a, 99)), 3),
        "mean_ms": round(float(a.mean()), 3),
    }
