"""A real KPI history: the seeded sample world, ingested like production, evaluated week by week.

The sample's ``weekly_sales`` follow Stridewell's net sentiment two weeks later and
``web_visits_noise`` is independent noise, so a review of this history has a known right answer.
Built once per session (about 30 s): sample → ``ingest_file`` (dedup, flags, sentiment) →
``ingest_outcomes`` → one ``evaluate`` per Sunday for the KPIs under test, quality gates off.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import pytest

import kpigov
from kpigov.compiler import compile_project
from kpigov.evaluate import evaluate, evaluation_order, open_for_evaluation
from kpigov.evaluate.quality.results import GateReport
from kpigov.ingest import ingest_file
from kpigov.ingest.from_specs import ingest_setup
from kpigov.ingest.outcomes import ingest_outcomes
from kpigov.project import Project
from kpigov.sample import write_sample
from kpigov.store import Store, open_store
from tests.conftest import copy_example

START, END = date(2026, 2, 1), date(2026, 9, 30)
FIRST_SUNDAY, LAST_SUNDAY = date(2026, 2, 8), date(2026, 9, 27)
NET_SENTIMENT = "brand.customer.net_sentiment"
#: Judged only against ``web_visits_noise`` in the example repository.
NOISE_JUDGED = "brand.learning_growth.design_feedback_volume"
EVALUATED = (NET_SENTIMENT, NOISE_JUDGED)


def no_gates(store: Store, project: Project) -> GateReport:
    return GateReport()


@dataclass(frozen=True)
class History:
    repo: Path
    url: str
    runs: int


def sundays(first: date, last: date) -> list[date]:
    return [first + timedelta(weeks=w) for w in range((last - first).days // 7 + 1)]


@pytest.fixture(scope="session")
def history(tmp_path_factory: pytest.TempPathFactory) -> History:
    base = tmp_path_factory.mktemp("lifecycle")
    repo = copy_example(base / "repo")
    project = kpigov.load(repo)
    assert project.ok, [str(d) for d in project.diagnostics]
    sample = write_sample(base / "sample", start=START, end=END, mentions_per_day=150)
    url = f"duckdb:///{base / 'store.duckdb'}"
    setup = ingest_setup(project)
    with open_store(url, create=True) as store:
        for path in sample.files:
            ingest_file(store, path, "canonical", rules=setup.rules, entity_resolver=setup.resolver, scorer=setup.scorer)
        ingest_outcomes(store, sample.outcomes)
    compiled = compile_project(project)
    order = evaluation_order(project, compiled.kpi_order, EVALUATED)
    weeks = sundays(FIRST_SUNDAY, LAST_SUNDAY)
    with open_for_evaluation(url) as store:
        for sunday in weeks:
            run = evaluate(store, project, order, compiled.fingerprint, sunday, gates=no_gates)
            assert run.status == "ok", run.error
    return History(repo, url, len(weeks))
