"""Throw-away PostgreSQL stores for test suites (kpigov's and its users').

Each store lives in its own freshly created schema, selected through ``search_path`` in the URL,
so parallel runs sharing one database never see each other's tables; the schema is dropped after.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import create_engine
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.schema import CreateSchema, DropSchema

DEFAULT_TEST_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def test_pg_url() -> str:
    """The PostgreSQL used by tests: ``KPIGOV_TEST_PG_URL`` or the local default."""
    return os.environ.get("KPIGOV_TEST_PG_URL", DEFAULT_TEST_PG_URL)


def pg_unreachable_reason(url: str) -> str | None:
    """Why tests cannot use ``url`` (a sentence for ``pytest.skip``), or None when they can."""
    engine = create_engine(url, connect_args={"connect_timeout": 3})
    try:
        with engine.connect():
            return None
    except OperationalError as exc:
        shown = make_url(url).render_as_string(hide_password=True)
        return f"PostgreSQL at {shown} is unreachable ({str(exc.orig).strip().splitlines()[0]}); set KPIGOV_TEST_PG_URL"
    finally:
        engine.dispose()


@contextmanager
def isolated_pg_schema(url: str, prefix: str = "kpigov_test") -> Iterator[str]:
    """Create a unique schema, yield a URL whose connections use it, then drop it with its tables."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(CreateSchema(name))
        scoped = make_url(url).update_query_dict({"options": f"-csearch_path={name}"})
        yield scoped.render_as_string(hide_password=False)
    finally:
        with engine.begin() as conn:
            conn.execute(DropSchema(name, cascade=True, if_exists=True))
        engine.dispose()


test_pg_url.__test__ = False  # type: ignore[attr-defined]  # not a pytest test despite the name
