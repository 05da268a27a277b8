"""Retention answers: how long a data class, or one dataset column, is kept and what happens then.

A subject is a data class (``personal_data``), a column (``dataset/mentions:author_handle`` or
``mentions.author_handle``) or a dataset (``dataset/mentions``: every rule limited to it or to all
datasets). The governing term is the age-based rule with the shortest period (storage limitation
wins); event-driven terms (``deleted_at_source``) are listed beside it. A legal hold on any
applicable rule suspends deletion, so it is reported on the whole answer.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import get_args

from kpigov.diagnostics import Location
from kpigov.runtime.errors import UnknownResourceError
from kpigov.specs.base import to_timedelta
from kpigov.specs.data import DataClass, Dataset
from kpigov.specs.policy import RetentionRule

DATA_CLASSES = frozenset(get_args(DataClass))


@dataclass(frozen=True, slots=True)
class RetentionTerm:
    rule: str
    data_class: str
    period: str
    action: str
    when: str
    legal_basis: str
    jurisdiction: str
    legal_hold: bool
    location: Location

    @property
    def length(self) -> timedelta:
        return to_timedelta(self.period)


@dataclass(frozen=True, slots=True)
class Retention:
    """The answer for one subject; ``terms`` is ordered governing term first."""

    subject: str
    data_class: str | None
    terms: tuple[RetentionTerm, ...]

    @property
    def governing(self) -> RetentionTerm | None:
        return self.terms[0] if self.terms else None

    @property
    def period(self) -> str | None:
        return self.governing.period if self.governing else None

    @property
    def action(self) -> str | None:
        return self.governing.action if self.governing else None

    @property
    def legal_basis(self) -> str | None:
        return self.governing.legal_basis if self.governing else None

    @property
    def legal_hold(self) -> bool:
        return any(term.legal_hold for term in self.terms)


class RetentionIndex:
    """Retention terms by data class, and each declared column's data class, built once."""

    def __init__(self, rules: Iterable[tuple[RetentionRule, Location]], datasets: Iterable[Dataset]) -> None:
        by_class: dict[str, list[tuple[RetentionTerm, frozenset[str]]]] = {}
        for rule, location in rules:
            s = rule.spec
            term = RetentionTerm(rule.ref, s.data_class, s.period, s.action, s.when, s.legal_basis, s.jurisdiction,
                                 s.legal_hold, location)
            by_class.setdefault(s.data_class, []).append((term, frozenset(s.datasets)))
        self._by_class = by_class
        self._columns: Mapping[str, Mapping[str, str]] = {
            d.ref: {c.name: c.data_class for c in d.spec.columns} for d in datasets}

    def lookup(self, subject: str) -> Retention:
        """Raises :class:`UnknownResourceError` for a subject the repository does not declare."""
        if subject in DATA_CLASSES:
            return Retention(subject, subject, _ordered(term for term, _ in self._by_class.get(subject, ())))
        dataset, column = _split(subject)
        columns = self._columns.get(dataset)
        if columns is None:
            raise UnknownResourceError(f"'{subject}' is neither a data class ({', '.join(sorted(DATA_CLASSES))}) "
                                       "nor a declared dataset")
        if column is None:
            return Retention(subject, None, _ordered(
                term for entries in self._by_class.values() for term, scope in entries if not scope or dataset in scope))
        data_class = columns.get(column)
        if data_class is None:
            raise UnknownResourceError(f"{dataset} declares no column '{column}'")
        return Retention(subject, data_class, _ordered(
            term for term, scope in self._by_class.get(data_class, ()) if not scope or dataset in scope))


def _split(subject: str) -> tuple[str, str | None]:
    """``dataset/d:c`` and ``d.c`` name a column; ``dataset/d`` a dataset."""
    if subject.startswith("dataset/"):
        dataset, _, column = subject.partition(":")
        return dataset, column or None
    name, dot, column = subject.partition(".")
    return f"dataset/{name}", column if dot else None


def _ordered(terms: Iterable[RetentionTerm]) -> tuple[RetentionTerm, ...]:
    return tuple(sorted(terms, key=lambda t: (t.when != "age", t.length, t.rule)))


__all__ = ["DATA_CLASSES", "Retention", "RetentionIndex", "RetentionTerm"]
