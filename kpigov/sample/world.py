"""The hidden state of the sample world: how much each brand is discussed, and how warmly, per day.

Mentions are drawn from this state and outcome series are computed from it, so the planted
relations (sales follow Stridewell's net sentiment two weeks later; support tickets follow
negative mentions by topic one week later) hold by construction and can be recovered from the
generated data alone. Everything is a small numpy array over days: a few hundred values.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

from kpigov.sample import vocabulary as vocab

#: Days simulated before ``start`` so that lagged outcomes exist from the first week.
WARMUP_DAYS = 35
#: Share of mentions that carry no opinion; the rest split by net sentiment.
NEUTRAL_SHARE = 0.3
#: Daily persistence of net sentiment (about 0.5 week to week) and its daily innovation.
NET_PERSISTENCE, NET_INNOVATION = 0.9, 0.06
#: Long-run net sentiment per entity (ENTITIES order).
NET_BASELINE = (0.30, 0.22, 0.15, 0.10)
#: Volume multiplier Monday..Sunday: people talk about running shoes more at weekends.
WEEKDAY_VOLUME = (0.94, 0.90, 0.92, 0.95, 1.00, 1.18, 1.11)
#: Long-run trend: the volume multiplier grows linearly from the first value at ``start`` to the second at ``end``.
TREND_FROM, TREND_TO = 0.85, 1.15
#: Topic weights per polarity (rows: POLARITIES; columns: TOPICS) outside any event.
TOPIC_WEIGHTS = np.array(
    [
        [0.12, 0.14, 0.14, 0.14, 0.30, 0.12, 0.04],
        [0.25, 0.20, 0.10, 0.15, 0.15, 0.10, 0.05],
        [0.20, 0.25, 0.15, 0.15, 0.05, 0.17, 0.03],
    ]
)


@dataclass(frozen=True, slots=True)
class Event:
    """A shock to one entity: extra volume, a sentiment shift and a topic surge, decaying."""

    name: str
    day: date
    entity: str
    extra_volume: float
    net_shift: float
    half_life_days: float
    topic: str
    topic_weight: float
    polarities: tuple[str, ...]


LAUNCH = Event(
    name="Stridewell Aero 2 launch",
    day=date(2026, 3, 10),
    entity=vocab.BRAND,
    extra_volume=2.0,
    net_shift=0.35,
    half_life_days=5.0,
    topic="launch",
    topic_weight=1.5,
    polarities=vocab.POLARITIES,
)
CRISIS = Event(
    name="sole-separation recall",
    day=date(2026, 8, 18),
    entity=vocab.BRAND,
    extra_volume=4.0,
    net_shift=-1.1,
    half_life_days=6.0,
    topic="durability",
    topic_weight=6.0,
    polarities=("negative",),
)
EVENTS = (LAUNCH, CRISIS)


@dataclass(frozen=True, slots=True)
class World:
    """Daily latent state from ``first_day`` (``WARMUP_DAYS`` before ``start``) to ``end``.

    ``volume[e, t]``: expected organic mentions of entity ``e`` on day ``t``; ``net[e, t]``:
    latent net sentiment in [-0.9, 0.9]; ``polarity[e, t, k]``: probability of POLARITIES[k];
    ``topic[e, t, k, j]``: probability of TOPICS[j] given polarity k.
    """

    seed: int
    first_day: date
    start: date
    end: date
    volume: np.ndarray
    net: np.ndarray
    polarity: np.ndarray
    topic: np.ndarray

    def day_index(self, day: date) -> int:
        return (day - self.first_day).days


def build_world(seed: int, start: date, end: date, mentions_per_day: float) -> World:
    """The latent state for a period; the same arguments always give the same world."""
    if end < start:
        raise ValueError(f"end {end} is before start {start}")
    if mentions_per_day <= 0:
        raise ValueError(f"mentions_per_day must be positive, got {mentions_per_day}")
    rng = np.random.default_rng([seed, 0])
    first_day = start - timedelta(days=WARMUP_DAYS)
    days = (end - first_day).days + 1
    offsets = np.arange(days)
    progress = np.clip((offsets - WARMUP_DAYS) / max((end - start).days, 1), 0.0, 1.0)
    weekday = np.array(WEEKDAY_VOLUME)[(first_day.weekday() + offsets) % 7]
    seasonal = (TREND_FROM + (TREND_TO - TREND_FROM) * progress) * weekday

    volume = mentions_per_day * np.array(vocab.ENTITY_SHARE)[:, None] * seasonal[None, :]
    net = _autoregressive(rng, len(vocab.ENTITIES), days) + np.array(NET_BASELINE)[:, None]
    topic = np.broadcast_to(TOPIC_WEIGHTS, (len(vocab.ENTITIES), days, *TOPIC_WEIGHTS.shape)).copy()
    for event in EVENTS:
        e = vocab.ENTITIES.index(event.entity)
        pulse = _pulse(offsets, (event.day - first_day).days, event.half_life_days)
        volume[e] *= 1.0 + event.extra_volume * pulse
        net[e] += event.net_shift * pulse
        for polarity in event.polarities:
            topic[e, :, vocab.POLARITIES.index(polarity), vocab.TOPICS.index(event.topic)] += event.topic_weight * pulse
    net = np.clip(net, -0.9, 0.9)
    opinionated = 1.0 - NEUTRAL_SHARE
    polarity = np.stack([opinionated * (1 + net) / 2, np.full_like(net, NEUTRAL_SHARE), opinionated * (1 - net) / 2], -1)
    topic /= topic.sum(axis=-1, keepdims=True)
    return World(seed, first_day, start, end, volume, net, polarity, topic)


def _autoregressive(rng: np.random.Generator, series: int, days: int) -> np.ndarray:
    """Stationary AR(1) paths, started from their stationary distribution."""
    shocks = rng.normal(0.0, NET_INNOVATION, size=(series, days))
    shocks[:, 0] /= np.sqrt(1 - NET_PERSISTENCE**2)
    path = np.empty_like(shocks)
    path[:, 0] = shocks[:, 0]
    for t in range(1, days):  # a few hundred steps: the recursion is inherently sequential
        path[:, t] = NET_PERSISTENCE * path[:, t - 1] + shocks[:, t]
    return path


def _pulse(offsets: np.ndarray, at: int, half_life: float) -> np.ndarray:
    """1 on the event day, halving every ``half_life`` days after it, 0 before."""
    elapsed = offsets - at
    return np.where(elapsed >= 0, 0.5 ** (np.maximum(elapsed, 0) / half_life), 0.0)
