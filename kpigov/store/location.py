"""Which store a command uses: one rule for every command, so they all read and write the same one.

``--store URL`` > ``$KPIGOV_STORE_URL`` > ``spec.store`` in ``kpigov.yaml`` > an embedded DuckDB
file at ``<repo>/.kpigov/store.duckdb``. Credentials belong in the environment variable, never in
the repository, which is why the config's value comes after it.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from kpigov.store.errors import StoreURLError

STORE_URL_ENV = "KPIGOV_STORE_URL"
DEFAULT_STORE_PATH = Path(".kpigov") / "store.duckdb"


def resolve_store_url(
    option: str | None, repo: Path, configured: str | None, environ: Mapping[str, str] = os.environ
) -> str:
    """The store URL for a command run on ``repo``.

    A relative DuckDB path in ``kpigov.yaml`` is relative to the repository (the file that says it
    lives there); a relative path given on the command line or in the environment is relative to
    the working directory, as paths typed in a shell are.
    """
    if option:
        return option
    if environ.get(STORE_URL_ENV):
        return environ[STORE_URL_ENV]
    if configured:
        return _anchored(configured, repo)
    return f"duckdb:///{(repo / DEFAULT_STORE_PATH).resolve()}"


def _anchored(url: str, repo: Path) -> str:
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise StoreURLError(f"kpigov.yaml spec.store is not a database URL: {url!r}") from exc
    database = parsed.database
    if parsed.get_backend_name() != "duckdb" or not database or database == ":memory:" or Path(database).is_absolute():
        return url
    anchored = parsed.set(database=str((repo / database).resolve()))
    return anchored.render_as_string(hide_password=False)
