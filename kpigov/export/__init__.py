"""BI export: KPI results, bands and metadata as one tidy table (Parquet / CSV) and as SQL views.

::

    table = results_table(data)              # pyarrow.Table, one row per KPI per period, documented columns
    write_table(table, Path("kpis.parquet"), "parquet")
    create_views(store, data.project)        # kpigov_bi_kpis (table) + kpigov_bi_results (view) in the store

Power BI and Tableau read the Parquet/CSV file directly, or connect to the store and read the view.
"""

from kpigov.export.table import COLUMNS, ExportFormat, results_table, write_table
from kpigov.export.views import BI_KPIS, BI_RESULTS_VIEW, create_views

__all__ = ["BI_KPIS", "BI_RESULTS_VIEW", "COLUMNS", "ExportFormat", "create_views", "results_table", "write_table"]
