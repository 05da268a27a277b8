"""SQL views in the store: the connector BI tools use when they query the warehouse directly.

``kpigov_bi_kpis`` is a small table of KPI metadata (it lives in the specs, not in the store, so the
export writes it, replacing its rows); ``kpigov_bi_results`` is a view joining it to the latest
stored result of every KPI period, with the same columns as the file export. Everything is built
with SQLAlchemy Core (``CreateView``), so it works on DuckDB and PostgreSQL alike.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.schema import CreateView, DropView

from kpigov.export.table import kpi_metadata
from kpigov.project import Project
from kpigov.specs import KPI
from kpigov.store import Store, schema

BI_RESULTS_VIEW = "kpigov_bi_results"
_metadata = sa.MetaData()

#: KPI metadata for BI joins: one row per KPI of the project when exported.
BI_KPIS = sa.Table(
    "kpigov_bi_kpis", _metadata,
    sa.Column("kpi_id", sa.String(200), primary_key=True),
    sa.Column("kpi_version", sa.String(64), nullable=False),
    sa.Column("perspective", sa.String(32), nullable=False),
    sa.Column("indicator", sa.String(16), nullable=False),
    sa.Column("polarity", sa.String(32), nullable=False),
    sa.Column("unit", sa.String(16), nullable=False),
    sa.Column("refresh_cadence", sa.String(16), nullable=False, comment="the KPI's frequency"),
    sa.Column("owner", sa.String(200)),
    sa.Column("publication", sa.String(16), nullable=False),
    sa.Column("band_green", sa.String(64)),
    sa.Column("band_amber", sa.String(64)),
    sa.Column("band_red", sa.String(64)),
    sa.Column("target", sa.Double),
)


def _latest_results() -> sa.Select:
    """Each KPI period's row from the latest successful run that covered it."""
    k, r = schema.kpi_results, schema.runs
    ranked = (sa.select(k.c.kpi_id, k.c.period_start, k.c.period_end, k.c.status, k.c.value, k.c.band, k.c.baseline,
                        k.c.change, k.c.reason, k.c.run_id, r.c.as_of,
                        sa.func.row_number().over(partition_by=(k.c.kpi_id, k.c.period_start),
                                                  order_by=(r.c.as_of.desc(), r.c.finished_at.desc())).label("rank"))
              .join(r, r.c.run_id == k.c.run_id).where(r.c.status == "ok").subquery("ranked"))
    m = BI_KPIS
    return (sa.select(m.c.kpi_id, m.c.kpi_version, m.c.perspective, m.c.indicator, m.c.polarity, m.c.unit,
                      m.c.refresh_cadence, m.c.owner, m.c.publication, ranked.c.period_start, ranked.c.period_end,
                      ranked.c.status, ranked.c.value, ranked.c.band, m.c.band_green, m.c.band_amber, m.c.band_red,
                      m.c.target, ranked.c.baseline, ranked.c.change, ranked.c.reason, ranked.c.run_id, ranked.c.as_of)
            .join(ranked, ranked.c.kpi_id == m.c.kpi_id).where(ranked.c.rank == 1))


def create_views(store: Store, project: Project) -> list[str]:
    """(Re)create the BI table and view in one transaction; return their names."""
    rows = [kpi_metadata(kpi) for kpi in project.of_kind(KPI)]
    with store.transaction() as conn:
        conn.execute(DropView(sa.Table(BI_RESULTS_VIEW, sa.MetaData()), if_exists=True))
        BI_KPIS.create(conn, checkfirst=True)
        conn.execute(BI_KPIS.delete())
        if rows:
            conn.execute(BI_KPIS.insert(), rows)
        conn.execute(CreateView(_latest_results(), BI_RESULTS_VIEW))
    return [BI_KPIS.name, BI_RESULTS_VIEW]
