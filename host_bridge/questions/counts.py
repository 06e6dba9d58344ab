"""What is kept of a day's questions once its texts are deleted: counts per day and service
(asked, answered by the FAQ, answered by staff, unanswered, closed as abusive, and each
conversation's seconds to its first staff answer, for the median), pure."""
from __future__ import annotations

import statistics
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Counts:
    asked: int = 0
    by_faq: int = 0
    by_staff: int = 0
    unanswered: int = 0
    abusive: int = 0
    first_answers: list[float] = field(default_factory=list)  # seconds, one per question answered

    def merge(self, other: "Counts") -> None:
        self.asked += other.asked
        self.by_faq += other.by_faq
        self.by_staff += other.by_staff
        self.unanswered += other.unanswered
        self.abusive += other.abusive
        self.first_answers.extend(other.first_answers)

    def figures(self) -> dict[str, Any]:
        median = statistics.median(self.first_answers) if self.first_answers else None
        return {"asked": self.asked, "by_faq": self.by_faq, "by_staff": self.by_staff,
                "unanswered": self.unanswered, "abusive": self.abusive,
                "faq_share": self.by_faq / self.asked if self.asked else None,
                "first_answer_median_minutes": None if median is None else round(median / 60, 1)}


@dataclass(frozen=True)
class Round:
    """One question of a conversation — its opening, or a reopening after it was closed — in
    the service it was asked in, and the seconds from it to the first staff answer (None:
    unanswered). A ticket transferred keeps its earlier questions in their service."""
    service: str
    answer_seconds: float | None


def reduce(rounds: Iterable[Round], blocked: Iterable[str],
           faq_answers: Iterable[str]) -> dict[str, Counts]:
    """service -> its Counts, from a day's questions, its conversations closed as abusive (a
    service id each) and its « answered by the FAQ » (a service id each)."""
    out: dict[str, Counts] = {}
    for r in rounds:
        counts = out.setdefault(r.service, Counts())
        counts.asked += 1
        if r.answer_seconds is None:
            counts.unanswered += 1
        else:
            counts.by_staff += 1
            counts.first_answers.append(r.answer_seconds)
    for service in blocked:
        out.setdefault(service, Counts()).abusive += 1
    for service in faq_answers:
        counts = out.setdefault(service, Counts())
        counts.asked += 1
        counts.by_faq += 1
    return out
