"""The planted features are in the generated data and can be found from the data alone."""

from __future__ import annotations

import datetime as dt
import re

import numpy as np
import pandas as pd
import pytest
from sample_fixtures import SAMPLE
from scipy.stats import spearmanr

from kpigov.sample import BRAND, CAMPAIGN_PLAN, CRISIS, LAUNCH
from kpigov.sample.world import build_world

LAGS = range(5)


def daily_brand_counts(frame: pd.DataFrame) -> pd.Series:
    brand = frame[(frame["entity"] == BRAND) & frame["repost_of"].isna()]
    return brand.groupby(brand["created_at"].dt.normalize()).size()


def week_of(frame: pd.DataFrame) -> pd.Series:
    return frame["created_at"].dt.normalize() - pd.to_timedelta(frame["created_at"].dt.day_of_week, unit="D")


def net_sentiment(frame: pd.DataFrame) -> pd.Series:
    """Weekly (positive - negative) / all of the brand's English organic mentions."""
    brand = frame[(frame["entity"] == BRAND) & (frame["language"] == "en") & frame["repost_of"].isna()]
    signed = brand["sentiment_label"].map({"positive": 1.0, "neutral": 0.0, "negative": -1.0})
    return signed.groupby(week_of(brand)).mean()


def series(outcomes: pd.DataFrame, name: str, topic: str = "") -> pd.Series:
    rows = outcomes[(outcomes["series"] == name) & (outcomes["topic"] == topic)]
    return pd.Series(rows["value"].to_numpy(), index=pd.to_datetime(rows["period_start"]))


def lagged_spearman(leading: pd.Series, following: pd.Series, lag: int) -> tuple[float, float]:
    """Spearman rho and p-value of ``leading`` at week w with ``following`` at week w + lag."""
    shifted = following.shift(-lag, freq="7D")
    both = pd.concat([leading, shifted], axis=1, join="inner").dropna()
    result = spearmanr(both.iloc[:, 0], both.iloc[:, 1])
    return float(result.statistic), float(result.pvalue)


def test_reposts_form_heavy_tailed_retweet_cascades(sample_mentions: pd.DataFrame) -> None:
    reposts = sample_mentions[sample_mentions["repost_of"].notna()]
    assert len(reposts) > 1_000
    assert reposts["text"].str.startswith("RT @").all()
    assert (reposts["platform"] == "x").all()
    assert reposts["repost_of"].isin(sample_mentions["native_id"]).all()
    cascade = reposts.groupby("repost_of").size()
    assert cascade.max() >= 30 and cascade.median() <= 3


def test_replies_and_quotes_point_at_earlier_posts_on_the_same_platform(sample_mentions: pd.DataFrame) -> None:
    by_id = sample_mentions.drop_duplicates(["platform", "native_id"]).set_index(["platform", "native_id"])
    for link in ("reply_to", "quote_of"):
        linked = sample_mentions[sample_mentions[link].notna()]
        assert len(linked) > 500, link
        targets = by_id.loc[list(zip(linked["platform"], linked[link], strict=True)), "created_at"]
        assert (linked["created_at"].to_numpy() >= targets.to_numpy()).all(), link


def test_cross_posts_repeat_a_text_on_another_platform_within_hours(sample_mentions: pd.DataFrame) -> None:
    organic = sample_mentions[sample_mentions["repost_of"].isna()].drop_duplicates(["platform", "native_id"])
    pairs = organic.merge(organic, on=["author_handle", "text"], suffixes=("", "_copy"))
    pairs = pairs[pairs["platform"] < pairs["platform_copy"]]
    gap = (pairs["created_at"] - pairs["created_at_copy"]).abs()
    assert (gap <= pd.Timedelta(hours=6)).sum() > 300


def test_vendors_redeliver_rows_in_a_later_batch(sample_mentions: pd.DataFrame) -> None:
    repeated = sample_mentions[sample_mentions.duplicated(["platform", "native_id"], keep=False)]
    assert repeated.groupby(["platform", "native_id"]).size().eq(2).all()
    assert len(repeated) > 200
    same = repeated.drop(columns="ingest_batch").astype(str).drop_duplicates()
    assert len(same) == len(repeated) // 2
    assert repeated.groupby(["platform", "native_id"])["ingest_batch"].nunique().eq(2).all()


def test_a_bot_farm_of_tiny_or_hyperactive_accounts(sample_mentions: pd.DataFrame) -> None:
    bots = sample_mentions[sample_mentions["author_handle"].str.fullmatch(r"(promo_deals|best_kicks|sneaker_sale|cheap_runs)_\d{4}")]
    accounts = bots.drop_duplicates("author_handle")
    assert len(accounts) >= 200
    assert ((accounts["author_followers"] <= 25) | (accounts["author_posts"] > 30_000)).all()
    organic = sample_mentions.drop(bots.index).drop_duplicates("author_handle")
    assert ((organic["author_followers"] <= 25) | (organic["author_posts"] > 30_000)).mean() < 0.1


@pytest.mark.parametrize("plan", CAMPAIGN_PLAN, ids=lambda plan: plan.name)
def test_a_coordinated_campaign_of_30_accounts_within_an_hour(sample_mentions: pd.DataFrame, plan: object) -> None:
    posts = sample_mentions[sample_mentions["text"].str.startswith(plan.text)]  # type: ignore[attr-defined]
    assert posts["author_handle"].nunique() >= 30
    assert posts["created_at"].max() - posts["created_at"].min() <= pd.Timedelta(hours=1)
    assert posts["text"].nunique() > 1  # near-identical, not identical


def test_employees_post_about_their_own_brand(sample_mentions: pd.DataFrame) -> None:
    staff = sample_mentions[sample_mentions["author_handle"].str.match(r"(stridewell_|sw_team_)")]
    assert staff["author_handle"].nunique() >= 6
    assert (staff["entity"] == BRAND).all()


def test_engagement_is_heavy_tailed_and_views_follow_the_platform(sample_mentions: pd.DataFrame) -> None:
    originals = sample_mentions[sample_mentions["repost_of"].isna()]
    assert originals["likes"].max() > 100 * max(originals["likes"].median(), 1)
    assert sample_mentions.loc[sample_mentions["platform"].isin(["reddit", "weibo"]), "views"].isna().all()
    assert originals.loc[originals["platform"].isin(["x", "youtube", "vk"]), "views"].notna().all()


def test_weekends_are_busier_and_volume_trends_up(sample_mentions: pd.DataFrame) -> None:
    counts = sample_mentions[sample_mentions["repost_of"].isna()].groupby(sample_mentions["created_at"].dt.normalize()).size()
    weekend = counts.index.day_of_week >= 5
    assert counts[weekend].median() > 1.1 * counts[~weekend].median()
    assert counts.iloc[-60:].median() > 1.15 * counts.iloc[:60].median()


@pytest.mark.parametrize(("event", "factor"), [(LAUNCH, 2.0), (CRISIS, 3.0)], ids=["launch", "crisis"])
def test_launch_and_crisis_spikes_stand_out_in_daily_counts(sample_mentions: pd.DataFrame, event: object, factor: float) -> None:
    counts = daily_brand_counts(sample_mentions)
    day = pd.Timestamp(event.day)  # type: ignore[attr-defined]
    before = counts[(counts.index >= day - pd.Timedelta(days=28)) & (counts.index < day)]
    assert counts[day] > factor * before.median()


def test_launch_is_positive_and_the_crisis_a_negative_durability_cluster(sample_mentions: pd.DataFrame) -> None:
    brand = sample_mentions[(sample_mentions["entity"] == BRAND) & (sample_mentions["language"] == "en")]
    day = brand["created_at"].dt.normalize()

    def share(rows: pd.DataFrame, label: str) -> float:
        return float((rows["sentiment_label"] == label).mean())

    launch = brand[(day >= pd.Timestamp(LAUNCH.day)) & (day < pd.Timestamp(LAUNCH.day) + pd.Timedelta(days=3))]
    crisis = brand[(day >= pd.Timestamp(CRISIS.day)) & (day < pd.Timestamp(CRISIS.day) + pd.Timedelta(days=3))]
    assert share(launch, "positive") > share(brand, "positive") + 0.05
    assert share(crisis, "negative") > 2 * share(brand, "negative")
    negative = crisis[crisis["sentiment_label"] == "negative"]
    assert (negative["topic"] == "durability").mean() > 0.5


def test_observed_daily_sentiment_follows_the_latent_series(sample_mentions: pd.DataFrame) -> None:
    world = build_world(SAMPLE["seed"], dt.date(2026, 1, 1), dt.date(2026, 12, 31), SAMPLE["mentions_per_day"])
    brand = sample_mentions[
        (sample_mentions["entity"] == BRAND) & (sample_mentions["language"] == "en") & sample_mentions["repost_of"].isna()
    ]
    signed = brand["sentiment_label"].map({"positive": 1.0, "neutral": 0.0, "negative": -1.0})
    observed = signed.groupby(brand["created_at"].dt.normalize()).mean().loc[: pd.Timestamp(world.end)]
    latent = world.net[0, [world.day_index(day.date()) for day in observed.index]]
    assert np.corrcoef(observed.to_numpy(), latent)[0, 1] > 0.8


def test_net_sentiment_leads_sales_by_two_weeks(sample_mentions: pd.DataFrame, sample_outcomes: pd.DataFrame) -> None:
    net, sales = net_sentiment(sample_mentions), series(sample_outcomes, "weekly_sales")
    rho = {lag: lagged_spearman(net, sales, lag) for lag in LAGS}
    print("spearman(net sentiment, sales) by lag (rho, p):", {lag: (round(r, 3), f"{p:.1e}") for lag, (r, p) in rho.items()})
    assert max(rho, key=lambda lag: rho[lag][0]) == 2
    assert rho[2][0] > 0.6 and rho[2][1] < 1e-6


def test_negative_mentions_lead_support_tickets_by_a_week(
    sample_mentions: pd.DataFrame, sample_outcomes: pd.DataFrame
) -> None:
    brand = sample_mentions[(sample_mentions["entity"] == BRAND) & sample_mentions["repost_of"].isna()]
    negative = brand[(brand["sentiment_label"] == "negative") & (brand["topic"] == "delivery")]
    counts = negative.groupby(week_of(negative)).size()
    tickets = series(sample_outcomes, "support_tickets", "delivery")
    rho = {lag: lagged_spearman(counts, tickets, lag) for lag in LAGS}
    assert max(rho, key=lambda lag: rho[lag][0]) == 1
    assert rho[1][0] > 0.5 and rho[1][1] < 1e-3


def test_nothing_predicts_the_noise_series(sample_mentions: pd.DataFrame, sample_outcomes: pd.DataFrame) -> None:
    net, noise = net_sentiment(sample_mentions), series(sample_outcomes, "web_visits_noise")
    rho = {lag: lagged_spearman(net, noise, lag) for lag in LAGS}
    print("spearman(net sentiment, noise) by lag (rho, p):", {lag: (round(r, 3), f"{p:.2f}") for lag, (r, p) in rho.items()})
    assert all(p > 0.01 for _, p in rho.values())  # no lag is significant, even before a multiple-test correction


def test_handles_are_well_formed(sample_mentions: pd.DataFrame) -> None:
    assert sample_mentions["author_handle"].map(lambda handle: bool(re.fullmatch(r"[a-z0-9_]+", handle))).all()
