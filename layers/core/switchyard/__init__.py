"""Switchyard: a self-hosted LLM router. The core package (shipped as a Lambda layer).

Public entry points of the classifier; everything else lives in subpackages that the
API and rescore functions import explicitly. Nothing heavy is imported here: the model
loads on the first call.
"""

from __future__ import annotations

from switchyard.classifier import (
    TASK_TYPES,
    Classification,
    classify,
    classify_batch,
    classify_messages,
)

__all__ = ["TASK_TYPES", "Classification", "classify", "classify_batch", "classify_messages"]
__version__ = "0.1.0"
