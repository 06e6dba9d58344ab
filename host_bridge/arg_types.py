"""argparse types for numbers in a range, shared by the project's commands: one wording for
every refusal ("not a number: 'x'", "pace must be 0.1 to 1000, got 5000")."""
from __future__ import annotations

import argparse
from collections.abc import Callable


def bounded(convert: Callable[[str], float], low: float, high: float, name: str,
            not_what: str = "a number", above: bool = False) -> Callable[[str], float]:
    """`convert(text)` within [low, high] (above=True: low itself refused); NaN is refused."""
    def parse(text: str) -> float:
        try:
            value = convert(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not {not_what}: {text!r}") from None
        if not ((low < value if above else low <= value) and value <= high):
            span = f"above {low:g} and at most {high:g}" if above else f"{low:g} to {high:g}"
            raise argparse.ArgumentTypeError(f"{name} must be {span}, got {text}")
        return value
    return parse


share = bounded(float, 0.0, 1.0, "a share")
