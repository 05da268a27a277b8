"""Negative-mention clusters: many negative mentions of one topic inside one short window.

For each ``negative_cluster`` trigger of a KPI's escalation policy, the as-of day (the 24 hours
before the as-of instant) is cut into consecutive windows of the trigger's length, and the
database counts the KPI's negative mentions per (window, topic), keeping only groups of at least
``min_cluster_size`` (``HAVING``): only the clusters themselves come back to Python.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy import Connection

from kpigov.evaluate.aggregate import Grid
from kpigov.evaluate.alerts import Alert
from kpigov.evaluate.measures import CompiledMeasure, sentiment_conditions
from kpigov.specs.base import to_timedelta
from kpigov.specs.policy import Trigger

LOOKBACK = timedelta(hours=24)


def find_clusters(conn: Connection, measure: CompiledMeasure, trigger: Trigger, instant: datetime) -> list[Alert]:
    window = to_timedelta(trigger.window or "PT1H")
    spans = max(int(LOOKBACK / window), 1)
    edges = tuple(instant - window * i for i in range(spans + 1))
    grid = Grid(lower=edges[-1], upper=instant, edges=edges)
    rel = measure.relation
    if "sentiment_score" not in rel.c:
        return []
    negative = sentiment_conditions(rel.c.sentiment_score, measure.positive_at, measure.negative_at)["negative"]
    bucket = grid.bucket(rel.c.created_at).label("bucket")
    topic = rel.c.topic if "topic" in rel.c else sa.null()
    size = sa.func.count().label("size")
    statement = (sa.select(bucket, topic.label("topic"), size)
                 .where(measure.filter, negative, rel.c.created_at >= sa.literal(grid.lower, sa.DateTime),
                        rel.c.created_at < sa.literal(grid.upper, sa.DateTime))
                 .group_by(bucket, topic)
                 .having(sa.func.count() >= sa.literal(trigger.min_cluster_size or 2, sa.BigInteger))
                 .order_by(bucket, topic))
    if trigger.topics:
        statement = statement.where(topic.in_([sa.literal(t, sa.String) for t in trigger.topics]))
    alerts = []
    for span, topic_name, count in conn.execute(statement):
        start, end = edges[span + 1], edges[span]
        alerts.append(Alert(measure.kpi_id, "negative_cluster",
                            f"{count} negative mentions about {topic_name or 'any topic'} between {start:%Y-%m-%d %H:%M} "
                            f"and {end:%H:%M} UTC", topic=topic_name, cluster_size=int(count),
                            detail={"window_start": start.isoformat(), "window_end": end.isoformat()}))
    return alerts
