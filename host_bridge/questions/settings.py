"""`[questions]` of a site's config: who answers the citizens' questions, how soon they are
told to ask at the counter instead, and whether the phone asks the one-question survey."""
from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

MINUTES = (1, 120)


@dataclass(frozen=True)
class QuestionSettings:
    enabled: bool = True  # « Poser une question à l'accueil » on the ticket page
    counters: tuple[int, ...] = ()  # agents who may act at one of these answer; empty: every agent
    answer_within_minutes: int = 10  # then the citizen is told it will be answered at the counter
    survey: bool = True  # « Êtes-vous satisfait de l'accueil ? » once the ticket is served

    @classmethod
    def parse(cls, table: Any, counters: frozenset[int]) -> "QuestionSettings":
        """From the config's table; a ValueError naming the key and its rule otherwise."""
        if table is None:
            return cls()
        if not isinstance(table, dict):
            raise ValueError("[questions]: expected a table")
        known = {f.name for f in fields(cls)}
        for key in table:
            if key not in known:
                raise ValueError(f"[questions] unknown key {key!r} (known: {', '.join(sorted(known))})")
        for key in ("enabled", "survey"):
            if not isinstance(table.get(key, True), bool):
                raise ValueError(f"[questions] {key}: expected true or false (got {table[key]!r})")
        low, high = MINUTES
        minutes = table.get("answer_within_minutes", cls.answer_within_minutes)
        if isinstance(minutes, bool) or not isinstance(minutes, int) or not low <= minutes <= high:
            raise ValueError(f"[questions] answer_within_minutes: expected a whole number from "
                             f"{low} to {high} (got {minutes!r})")
        numbers = table.get("counters", [])
        if not isinstance(numbers, list):
            raise ValueError(f"[questions] counters: expected a list of counter numbers (got {numbers!r})")
        for n in numbers:
            if isinstance(n, bool) or not isinstance(n, int) or n not in counters:
                raise ValueError(f"[questions] counters: unknown counter {n!r} (known: "
                                 f"{', '.join(str(k) for k in sorted(counters))})")
        if len(set(numbers)) != len(numbers):
            raise ValueError("[questions] counters: a counter is listed twice")
        return cls(**{**table, "counters": tuple(numbers)})
