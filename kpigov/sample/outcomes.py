"""Weekly outcome series for the sample world, computed from its latent state.

Three kinds of series, so KPI validation has something true, something lagged and something
false to find: ``weekly_sales`` follows Stridewell's net sentiment two weeks earlier;
``support_tickets`` (one series per topic) follows the previous week's negative Stridewell
mentions about that topic; ``web_visits_noise`` is independent noise that nothing predicts.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

import numpy as np
import pyarrow as pa

from kpigov.sample import vocabulary as vocab
from kpigov.sample.mentions import DEFAULT_END, DEFAULT_SEED, DEFAULT_START
from kpigov.sample.world import World, build_world
from kpigov.store.arrow import arrow_schema
from kpigov.store.schema import outcomes

OUTCOMES_SCHEMA = arrow_schema(outcomes)
SALES_LAG_WEEKS, TICKETS_LAG_WEEKS = 2, 1
#: Weekly sales at neutral sentiment, their response to net sentiment, and multiplicative noise.
SALES_BASE, SALES_PER_NET, SALES_NOISE = 1_200_000.0, 1.5, 0.03
#: Tickets per negative mention about a topic, and tickets that arrive whatever people post.
TICKETS_PER_NEGATIVE, TICKETS_FLOOR = 3.0, 10.0


def generate_outcomes(
    *,
    seed: int = DEFAULT_SEED,
    start: date = DEFAULT_START,
    end: date = DEFAULT_END,
    mentions_per_day: int = 2_000,
) -> pa.Table:
    """Outcome rows (series, period_start, topic, value) for the weeks (Monday starts) in the period.

    Pass the same arguments as to :func:`kpigov.sample.generate` so both come from one world.
    """
    world = build_world(seed, start, end, mentions_per_day)
    rng = np.random.default_rng([seed, 2])
    weeks = _week_starts(start, end)
    series: list[str] = []
    periods: list[date] = []
    topics: list[str] = []
    values: list[np.ndarray] = []

    def add(name: str, topic: str, value: np.ndarray) -> None:
        series.extend([name] * len(weeks))
        periods.extend(weeks)
        topics.extend([topic] * len(weeks))
        values.append(value)

    net = _weekly(world, weeks, world.net[0], SALES_LAG_WEEKS, np.mean)
    add("weekly_sales", "", np.round(SALES_BASE * (1 + SALES_PER_NET * net) * rng.lognormal(0, SALES_NOISE, len(weeks)), 2))
    negative = world.volume[0] * world.polarity[0, :, vocab.POLARITIES.index("negative")]
    for j, topic in enumerate(vocab.TOPICS):
        about = negative * world.topic[0, :, vocab.POLARITIES.index("negative"), j]
        expected = TICKETS_FLOOR + TICKETS_PER_NEGATIVE * _weekly(world, weeks, about, TICKETS_LAG_WEEKS, np.sum)
        add("support_tickets", topic, rng.poisson(expected).astype(np.float64))
    add("web_visits_noise", "", np.round(rng.lognormal(np.log(50_000), 0.15, len(weeks))))
    return pa.Table.from_arrays(
        [pa.array(series), pa.array(periods, pa.date32()), pa.array(topics), pa.array(np.concatenate(values))],
        schema=OUTCOMES_SCHEMA,
    )


def _week_starts(start: date, end: date) -> list[date]:
    first = start - timedelta(days=start.weekday())
    return [first + timedelta(weeks=w) for w in range((end - first).days // 7 + 1)]


def _weekly(
    world: World, weeks: list[date], daily: np.ndarray, lag_weeks: int, combine: Callable[[np.ndarray], float]
) -> np.ndarray:
    """``combine`` of ``daily`` over the week ``lag_weeks`` before each week (the warm-up covers it)."""
    result = np.empty(len(weeks))
    for w, monday in enumerate(weeks):
        first = world.day_index(monday - timedelta(weeks=lag_weeks))
        result[w] = combine(daily[first : first + 7])
    return result
