"""Plain-pandas references for the example repository's KPIs, written from the YAML by hand.

Nothing here calls kpigov's compiler, expression language or aggregation: the filters, measures,
periods and event exclusions are spelled out again, so a bug in kpigov cannot hide in both.
"""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd

BRAND = "stridewell"
PANEL = ("stridewell", "apexrun", "kinetiq", "volta")
#: calendar/launches events as (start, end) inclusive.
LAUNCH_CALENDAR = ((date(2026, 3, 10), date(2026, 3, 24)), (date(2026, 8, 18), date(2026, 9, 8)),
                   (date(2026, 11, 27), date(2026, 11, 30)), (date(2026, 10, 5), date(2026, 10, 25)))
WEIGHTS = {"likes": 0.05, "shares": 0.5, "comments": 0.3, "views": 0.001}


def authentic(df: pd.DataFrame, *, spam: bool = True, cib: bool = True) -> pd.Series:
    keep = df.duplicate_of.isna() & ~df.is_bot & ~df.is_employee
    if spam:
        keep &= ~df.is_spam
    if cib:
        keep &= df.cib_cluster.isna()
    return keep


def selections(df: pd.DataFrame) -> dict[str, pd.Series]:
    brand = df.entity == BRAND
    base = authentic(df) & brand
    return {
        "brand.customer.engagement_score": base,
        "brand.customer.mention_volume": base,
        "brand.customer.negative_volume": base,
        "brand.customer.net_sentiment": base & df.platform.isin(["x", "reddit", "youtube", "weibo", "vk"]),
        "brand.customer.net_sentiment_pct": authentic(df, spam=False, cib=False) & brand,
        "brand.customer.positive_volume": base,
        "brand.customer.public_mention_volume": base,
        "brand.customer.share_of_voice": authentic(df),
        "brand.financial.purchase_intent_volume": base & df.topic.isin(["price", "launch"]),
        "brand.internal_process.complaint_volume": authentic(df, cib=False) & brand
        & df.topic.isin(["delivery", "sizing", "customer_service"]),
        "brand.internal_process.durability_complaints": authentic(df, cib=False) & brand & (df.topic == "durability"),
        "brand.learning_growth.design_feedback_volume": authentic(df, cib=False) & brand & (df.topic == "design"),
    }


def value(df: pd.DataFrame, kpi_id: str, start: date, end: date) -> float | None:
    """The KPI over days start..end inclusive; None where kpigov must report no_data."""
    if kpi_id == "brand.customer.positive_share":
        pos = value(df, "brand.customer.positive_volume", start, end)
        total = value(df, "brand.customer.mention_volume", start, end)
        return None if pos is None or not total else pos / total * 100
    day = df.created_at.dt.date
    in_period = (day >= start) & (day <= end)
    if not (in_period & df.duplicate_of.isna()).any():
        return None
    rows = df[in_period & selections(df)[kpi_id]]
    score = rows.sentiment_score
    pos, neg = int((score >= 0.05).sum()), int((score <= -0.05).sum())
    if kpi_id in ("brand.customer.mention_volume", "brand.customer.public_mention_volume",
                  "brand.financial.purchase_intent_volume", "brand.learning_growth.design_feedback_volume"):
        return float(len(rows))
    if kpi_id == "brand.customer.positive_volume":
        return float(pos)
    if kpi_id in ("brand.customer.negative_volume", "brand.internal_process.complaint_volume",
                  "brand.internal_process.durability_complaints"):
        return float(neg)
    if kpi_id == "brand.customer.engagement_score":
        weighted = 1.0 + sum(w * rows[c].fillna(0).astype(float) for c, w in WEIGHTS.items())
        return None if len(rows) == 0 else float(weighted.sum()) / len(rows)
    if kpi_id == "brand.customer.net_sentiment":
        return None if pos + neg == 0 else (pos - neg) / (pos + neg)
    if kpi_id == "brand.customer.net_sentiment_pct":
        return None if len(rows) == 0 else (pos - neg) / len(rows)
    if kpi_id == "brand.customer.share_of_voice":
        panel = rows[rows.entity.isin(PANEL)]
        return None if len(panel) == 0 else float((panel.entity == BRAND).sum()) / len(panel)
    raise KeyError(kpi_id)


def weekly_baseline(df: pd.DataFrame, kpi_id: str, monday: date, weeks: int, exclude_events: bool) -> float | None:
    """Mean over the ``weeks`` previous ISO weeks, leaving out weeks that overlap a launches event."""
    values = []
    for back in range(1, weeks + 1):
        start = monday - timedelta(weeks=back)
        end = start + timedelta(days=6)
        if exclude_events and any(start <= e_end and e_start <= end for e_start, e_end in LAUNCH_CALENDAR):
            continue
        v = value(df, kpi_id, start, end)
        if v is not None:
            values.append(v)
    return sum(values) / len(values) if values else None
