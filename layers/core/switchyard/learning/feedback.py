"""Feedback on answered requests: validation of the score and the stored record."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field, model_validator


class FeedbackIn(BaseModel):
    request_id: str = Field(min_length=1, max_length=64)
    score: float | None = Field(default=None, ge=0.0, le=1.0)
    rating: Literal["up", "down"] | None = None
    comment: str | None = Field(default=None, max_length=2000)
    # accepted for compatibility and ignored: the rater is the API key (an id the server derives)
    rater: str | None = Field(default=None, min_length=1, max_length=128)

    @model_validator(mode="after")
    def _one_score(self) -> FeedbackIn:
        if (self.score is None) == (self.rating is None):
            raise ValueError("send exactly one of 'score' (0–1) or 'rating' ('up' or 'down')")
        return self

    @property
    def value(self) -> float:
        if self.score is not None:
            return self.score
        return 1.0 if self.rating == "up" else 0.0
