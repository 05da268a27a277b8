"""Dataset and job names per the OpenLineage naming conventions, from kpigov's own locations.

PostgreSQL tables are ``postgres://{host}:{port}`` + ``{database}.{schema}.{table}``; a DuckDB
file is ``duckdb://{absolute path}`` + ``{catalog}.{schema}.{table}`` (DuckDB names the catalog
after the file's stem), as OpenLineage integrations for DuckDB do; local files are ``file`` +
``{absolute path}``. Jobs live in the namespace configured for the repository (``kpigov`` by default).
"""

from __future__ import annotations

import re
from pathlib import Path

from sqlalchemy.engine import make_url

from kpigov.lineage.errors import LineageConfigError

_SEARCH_PATH = re.compile(r"-c\s*search_path=([^\s,]+)")
_PG_DEFAULT_PORT = 5432


def table_dataset(store_url: str, table: str) -> tuple[str, str]:
    """``(namespace, name)`` of ``table`` in the store at ``store_url`` (no credentials in either)."""
    try:
        url = make_url(store_url)
    except Exception as exc:  # SQLAlchemy raises ArgumentError, ValueError or TypeError depending on the defect
        raise LineageConfigError(f"not a database URL: {store_url!r}") from exc
    backend = url.get_backend_name()
    if backend == "postgresql":
        options = url.query.get("options", "")
        match = _SEARCH_PATH.search(options if isinstance(options, str) else " ".join(options))
        schema_name = match.group(1) if match else "public"
        return (f"postgres://{url.host or 'localhost'}:{url.port or _PG_DEFAULT_PORT}",
                f"{url.database}.{schema_name}.{table}")
    if backend == "duckdb":
        if not url.database or url.database == ":memory:":
            return "duckdb://memory", f"memory.main.{table}"
        path = Path(url.database).resolve()
        return f"duckdb://{path}", f"{path.stem}.main.{table}"
    raise LineageConfigError(f"no OpenLineage naming for store backend {backend!r}")


def file_dataset(path: Path) -> tuple[str, str]:
    """``(namespace, name)`` of a local file (an ingested export, for instance)."""
    return "file", str(path.resolve())


def kpi_job_name(kpi_id: str) -> str:
    """The job evaluating one KPI: ``evaluate.<kpi id>``, a child of the ``evaluate`` run."""
    return f"evaluate.{kpi_id}"


def ingest_job_name(source: str) -> str:
    """The job ingesting one source's exports: ``ingest.<source>``."""
    return f"ingest.{source}"
