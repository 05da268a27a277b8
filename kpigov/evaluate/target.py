"""Opening the store a run evaluates against without changing it.

Which store (``--store`` > ``$KPIGOV_STORE_URL`` > ``kpigov.yaml`` > ``.kpigov/store.duckdb``) is
:func:`kpigov.store.location.resolve_store_url`'s rule, shared by every command. ``open_store`` migrates an older store on open; evaluation must not change a store behind the
user's back, so :func:`open_for_evaluation` reads the schema version first and refuses an old one.
"""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa

from kpigov.evaluate.errors import StoreOutdatedError
from kpigov.store import Store, StoreError, StoreUnreachableError, open_store
from kpigov.store import migrations, schema
from kpigov.store.store import with_engine_defaults

def open_for_evaluation(url: str) -> Store:
    """Open an existing, current store; raise a ``StoreError`` / ``StoreOutdatedError`` otherwise."""
    if not _absent_duckdb_file(url):  # peeking would create the file; open_store reports it as not found
        version = _version(url)
        if version is not None and version < schema.SCHEMA_VERSION:
            raise StoreOutdatedError(version, schema.SCHEMA_VERSION)
    return open_store(url, create=False)


def _absent_duckdb_file(url: str) -> bool:
    try:
        parsed = sa.make_url(url)
    except sa.exc.ArgumentError:
        return True  # not parseable: let open_store raise its StoreURLError
    database = parsed.database
    return parsed.get_backend_name() == "duckdb" and bool(database) and database != ":memory:" \
        and not Path(database).exists()


def _version(url: str) -> int | None:
    """The schema version recorded in the store, or None when there is none to read."""
    try:
        engine = sa.create_engine(with_engine_defaults(sa.make_url(url)))
    except Exception:  # a malformed URL: open_store reports it as a StoreURLError
        return None
    try:
        with engine.connect() as conn:
            if schema.store_meta.name not in sa.inspect(conn).get_table_names():
                return None
            return migrations.read_version(conn)
    except StoreError:
        raise
    except Exception as exc:
        raise StoreUnreachableError(f"cannot open store {sa.make_url(url).render_as_string(hide_password=True)}: "
                                    f"{str(exc).strip().splitlines()[0]}") from exc
    finally:
        engine.dispose()
