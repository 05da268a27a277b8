"""The canonical mention store: one SQLAlchemy Core schema on DuckDB (embedded) or PostgreSQL."""

from kpigov.store.errors import (
    MigrationError,
    NotAKpigovStoreError,
    StoreError,
    StoreNotFoundError,
    StoreTooNewError,
    StoreUnreachableError,
    StoreURLError,
)
from kpigov.store.location import STORE_URL_ENV, resolve_store_url
from kpigov.store.store import DEFAULT_STORE_URL, Store, open_store

__all__ = [
    "DEFAULT_STORE_URL",
    "STORE_URL_ENV",
    "MigrationError",
    "NotAKpigovStoreError",
    "Store",
    "StoreError",
    "StoreNotFoundError",
    "StoreTooNewError",
    "StoreURLError",
    "StoreUnreachableError",
    "open_store",
    "resolve_store_url",
]
