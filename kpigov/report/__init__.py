"""The scorecard people read: a static HTML site and an executive summary built from stored results.

::

    data = load_report_data(store, project, as_of)          # kpi_results of every run up to as_of
    build_site(data, Path("site"))                           # index, kpi/<id>, governance, summary (+ .md)
    summary_markdown(data)                                   # the executive summary alone

The report reads; it never evaluates. Figures come from the store, wording from Jinja2 templates.
"""

from kpigov.report.data import KPIReport, Point, ReportData, load_report_data
from kpigov.report.site import PREVIEW_LABEL, Site, build_site
from kpigov.report.summary import SummaryFacts, summary_facts, summary_html, summary_markdown

__all__ = ["PREVIEW_LABEL", "KPIReport", "Point", "ReportData", "Site", "SummaryFacts", "build_site",
           "load_report_data", "summary_facts", "summary_html", "summary_markdown"]
