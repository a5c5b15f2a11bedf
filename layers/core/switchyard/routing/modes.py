"""The routing modes (a leaf module: settings and the policy both name them)."""

from typing import Literal, get_args

RoutingMode = Literal["auto", "cost", "speed", "quality"]
MODES: tuple[str, ...] = get_args(RoutingMode)
