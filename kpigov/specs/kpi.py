"""The KPI kind: what a Balanced Scorecard number means, written down once."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Annotated, ClassVar, Literal, Union

from pydantic import BeforeValidator, Field, WithJsonSchema
from pydantic_core import PydanticCustomError

from kpigov.specs.base import (
    CalendarRef,
    DatasetRef,
    Date,
    DedupRef,
    Duration,
    Envelope,
    EscalationRef,
    LexiconRef,
    Name,
    SpecModel,
    SuiteRef,
    Text,
)

Perspective = Literal["financial", "customer", "internal_process", "learning_growth"]
Platform = Literal["x", "reddit", "youtube", "weibo", "vk", "facebook", "instagram", "tiktok", "news", "forums"]
NetSentimentVariant = Literal["talkwalker", "pct_diff", "brand_health"]


# -- measures ----------------------------------------------------------------------------------


class CountMeasure(SpecModel):
    """Raw mention volume: the number of mentions that pass the filter and dedup."""

    type: Literal["count"]


class SentimentAdjustedVolumeMeasure(SpecModel):
    """Mentions of one sentiment label (e.g. negative-mention volume)."""

    type: Literal["sentiment_adjusted_volume"]
    label: Literal["positive", "neutral", "negative"]


class EngagementWeights(SpecModel):
    """Multipliers per engagement signal; a mention scores ``mention + Σ weight × count``."""

    mention: float = Field(1.0, ge=0)
    likes: float = Field(0.0, ge=0)
    shares: float = Field(0.0, ge=0)
    comments: float = Field(0.0, ge=0)
    views: float = Field(0.0, ge=0)


class WeightedScoreMeasure(SpecModel):
    """Engagement-weighted score: sum (or mean per mention) of weighted engagement."""

    type: Literal["weighted_score"]
    weights: EngagementWeights
    aggregate: Literal["sum", "mean"] = "sum"


class NetSentimentMeasure(SpecModel):
    """Net sentiment, in one declared variant (variants are never comparable with each other).

    - ``talkwalker``: (pos − neg) / (pos + neg)
    - ``pct_diff``: %pos − %neg over all mentions (pos − neg) / all
    - ``brand_health``: pos / (pos + neg)
    """

    type: Literal["net_sentiment"]
    variant: NetSentimentVariant


class Timeframe(SpecModel):
    start: Date
    end: Date


class CompetitorPanel(SpecModel):
    """The locked set of entities share of voice is measured against, and what it must cover."""

    brand: Name = Field(description="The entity whose share is measured.")
    competitors: list[Name] = Field(min_length=1)
    locked: bool = Field(description="A locked panel can only change with a major version bump.")
    platforms: list[Platform] = Field(min_length=1, description="Platforms the benchmark must cover.")
    timeframe: Timeframe = Field(description="Period the benchmark data must cover.")


class ShareOfVoiceMeasure(SpecModel):
    """The brand's share of all mentions of the brand and its competitor panel."""

    type: Literal["share_of_voice"]
    panel: CompetitorPanel
    basis: Literal["count", "weighted_score"] = "count"
    weights: EngagementWeights | None = None


class DerivedMeasure(SpecModel):
    """Arithmetic over other KPIs' values (their ids), e.g. ``a.b.c / a.b.d``."""

    type: Literal["derived"]
    formula: Text


Measure = Annotated[
    Union[CountMeasure, SentimentAdjustedVolumeMeasure, WeightedScoreMeasure, NetSentimentMeasure,
          ShareOfVoiceMeasure, DerivedMeasure],
    Field(discriminator="type"),
]


# -- sentiment, baselines, bands, spikes -------------------------------------------------------


class SentimentRule(SpecModel):
    lexicon: LexiconRef
    positive_at: float = Field(0.05, ge=-1, le=1, description="Compound score at or above which a mention is positive.")
    negative_at: float = Field(-0.05, ge=-1, le=1, description="Compound score at or below which a mention is negative.")


class Baseline(SpecModel):
    """What the current value is compared with."""

    window: Duration = Field(description="Trailing reference window, e.g. P8W.")
    seasonality: Literal["none", "weekly"] = "none"
    exclude_events: CalendarRef | None = Field(None, description="Calendar whose event periods are left out of the reference.")
    event_mode: Literal["exclude", "separate"] = "exclude"


_BAND = re.compile(r"^\s*(>=|>|<=|<)\s*(-?\d+(?:\.\d+)?)\s*$|^\s*between\s+(-?\d+(?:\.\d+)?)\s+and\s+(-?\d+(?:\.\d+)?)\s*$")
BAND_PATTERN = _BAND.pattern


@dataclass(frozen=True, slots=True)
class BandCondition:
    """A parsed band threshold: ``op value`` or ``between low and high`` (inclusive)."""

    op: str
    value: float
    high: float | None = None

    def matches(self, x: float) -> bool:
        if self.op == "between":
            return self.value <= x <= (self.high if self.high is not None else self.value)
        return {">=": x >= self.value, ">": x > self.value, "<=": x <= self.value, "<": x < self.value}[self.op]


def parse_band(text: str) -> BandCondition:
    match = _BAND.match(text)
    if not match:
        raise ValueError(f"not a band condition: {text!r}")
    if match.group(1):
        return BandCondition(match.group(1), float(match.group(2)))
    return BandCondition("between", float(match.group(3)), float(match.group(4)))


def _band(value: object) -> object:
    if isinstance(value, str) and not _BAND.match(value):
        raise PydanticCustomError("kg_band", "'{value}' is not a band condition: write '>= 0.3', '< 0.15' or "
                                  "'between 0.2 and 0.4'", {"value": value})
    return value


BandText = Annotated[str, BeforeValidator(_band), WithJsonSchema({"type": "string", "pattern": BAND_PATTERN})]


class Bands(SpecModel):
    """RAG thresholds, checked in order green, amber, red; consistency with polarity is validated."""

    green: BandText
    amber: BandText
    red: BandText


class TargetRange(SpecModel):
    low: float
    high: float


class SpikeDetector(SpecModel):
    """A declared spike detector on volume or sentiment."""

    id: Name
    on: Literal["volume", "negative_volume", "sentiment"]
    method: Literal["sigma", "mad"] = Field(description="k·σ over the trailing window, or robust z-score (MAD).")
    recent: Duration = Field("PT24H", description="The period checked for a spike.")
    window: Duration = Field("P7D", description="The trailing reference period.")
    threshold: float = Field(3.0, gt=0, description="k for sigma, robust z for MAD.")
    min_volume: int = Field(0, ge=0, description="Ignore spikes below this many mentions.")
    crisis_mode: Literal["recalibrate", "hold"] = Field(
        "hold", description="During a declared crisis: recalibrate the baseline automatically, or hold for a manual override.")


class PrivacyTreatment(SpecModel):
    """How a public KPI is protected before publication (differential privacy via OpenDP)."""

    mechanism: Literal["discrete_laplace", "discrete_gaussian"]
    epsilon: float = Field(gt=0, le=10)
    budget_per_period: float = Field(gt=0, description="Total epsilon that may be spent per period.")
    period: Duration = "P1M"
    withhold_during_crisis: bool = True


class KPISpec(SpecModel):
    perspective: Perspective
    indicator: Literal["leading", "lagging"]
    polarity: Literal["higher_is_better", "lower_is_better", "target_range"]
    unit: Literal["count", "ratio", "percent", "score"]
    frequency: Literal["daily", "weekly", "monthly", "quarterly"]
    review: Literal["monthly", "quarterly", "semiannual", "annual"]
    status: Literal["draft", "active", "deprecated", "retired"]
    deprecation_date: Date | None = None
    replacement: Name | None = Field(None, description="Id of the KPI that replaces this one.")
    source: DatasetRef | None = Field(None, description="Mention dataset (not used by derived KPIs).")
    filter: Text | None = Field(None, description="Expression over the dataset's columns selecting the mentions that count.")
    dedup: DedupRef | None = None
    sentiment: SentimentRule | None = None
    measure: Measure
    baseline: Baseline | None = None
    target: float | None = None
    target_range: TargetRange | None = None
    bands: Bands | None = None
    spikes: list[SpikeDetector] = Field(default_factory=list)
    quality_gates: list[SuiteRef] = Field(default_factory=list)
    escalation: EscalationRef | None = None
    publication: Literal["internal", "public"] = "internal"
    privacy: PrivacyTreatment | None = None
    crisis_related: bool = Field(False, description="Withheld from public outputs while a crisis period is open.")
    footnotes: list[Text] = Field(default_factory=list)
    outcomes: list[DatasetRef] = Field(default_factory=list, description="Series used to judge whether the KPI predicts anything.")


class KPI(Envelope):
    KIND: ClassVar[str] = "KPI"
    kind: Literal["KPI"]
    spec: KPISpec
