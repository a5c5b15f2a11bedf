"""Routing: the confidence matrix and the pure decision policy."""

from switchyard.routing.matrix import PRIOR, Cell, ConfidenceMatrix
from switchyard.routing.modes import MODES, RoutingMode
from switchyard.routing.policy import Decision, RouteInput, decide, min_tier

__all__ = [
    "MODES",
    "PRIOR",
    "Cell",
    "ConfidenceMatrix",
    "Decision",
    "RouteInput",
    "RoutingMode",
    "decide",
    "min_tier",
]
