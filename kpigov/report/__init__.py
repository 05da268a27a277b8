"""The scorecard people read: a static HTML site and an executive summary built from stored results.

::

    data = load_report_data(store, project, as_of)          # kpi_results of every run up to as_of
    build_site(data, Path("site"))                           # index, kpi/<id>, governance, summary (+ .md)
    summary_markdown(data)                                   # the executive summary alone
    public = public_report_data(project, read_published(Path("public/scorecard.json"), as_of))
    build_site(public, Path("public-site"), public=True)     # kpigov publish's releases only

The report reads; it never evaluates. Figures come from the store, wording from Jinja2 templates.
"""

from kpigov.report.data import KPIReport, Point, ReportData, load_report_data
from kpigov.report.public import RELEASE_LABEL, PublishedScorecardError, public_report_data, read_published
from kpigov.report.site import Site, build_site
from kpigov.report.summary import SummaryFacts, summary_facts, summary_html, summary_markdown

__all__ = ["RELEASE_LABEL", "KPIReport", "Point", "PublishedScorecardError", "ReportData", "Site", "SummaryFacts",
           "build_site", "load_report_data", "public_report_data", "read_published", "summary_facts", "summary_html",
           "summary_markdown"]
