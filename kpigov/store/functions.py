"""SQL functions whose spelling differs by backend, so ingestion can hash inside the database.

``sha256_hex(text)`` is the lowercase hex SHA-256 of the text's UTF-8 bytes on every backend:
exactly ``hashlib.sha256(text.encode()).hexdigest()``, which a test checks on each of them.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import String
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import GenericFunction


class sha256_hex(GenericFunction[str]):  # noqa: N801  (SQL function names are lowercase)
    type = String(64)
    inherit_cache = True


@compiles(sha256_hex, "duckdb")
def _duckdb_sha256(element: sha256_hex, compiler: SQLCompiler, **kw: Any) -> str:
    return f"sha256({compiler.process(element.clauses, **kw)})"


@compiles(sha256_hex, "postgresql")
def _postgresql_sha256(element: sha256_hex, compiler: SQLCompiler, **kw: Any) -> str:
    return f"encode(sha256(convert_to({compiler.process(element.clauses, **kw)}, 'UTF8')), 'hex')"


@compiles(sha256_hex)
def _unsupported(element: sha256_hex, compiler: SQLCompiler, **kw: Any) -> str:
    raise NotImplementedError(f"sha256_hex is not available on {compiler.dialect.name}")
