"""Typed store errors, so callers (the CLI above all) show a message instead of a traceback.

The whole tree::

    StoreError                      anything that stops kpigov from using a store
    ├── StoreURLError               the URL is malformed or names a backend kpigov does not support
    ├── StoreUnreachableError       the database cannot be opened (server down, file locked, no permission)
    ├── StoreNotFoundError          nothing there and ``create=False``
    ├── NotAKpigovStoreError        tables exist but no ``kpigov_store_meta``: someone else's database
    ├── StoreTooNewError            written by a newer kpigov (its ``schema_version`` is ahead of the code)
    └── MigrationError              an upgrade step failed; the store is left at its previous version
"""

from __future__ import annotations


class StoreError(Exception):
    """Base class: every store problem a user can cause or fix."""


class StoreURLError(StoreError):
    """The store URL cannot be parsed or names an unsupported backend."""


class StoreUnreachableError(StoreError):
    """The database exists in principle but cannot be opened right now."""


class StoreNotFoundError(StoreError):
    """No store at the URL and the caller did not ask to create one."""


class NotAKpigovStoreError(StoreError):
    """The database holds tables but was not created by kpigov."""


class StoreTooNewError(StoreError):
    """The store's schema is newer than this kpigov: upgrading kpigov is the fix, not the store."""

    def __init__(self, found: int, supported: int) -> None:
        super().__init__(
            f"store schema version {found} is newer than this kpigov supports ({supported}); "
            "upgrade kpigov to use this store"
        )
        self.found = found
        self.supported = supported


class MigrationError(StoreError):
    """A migration step failed; its transaction was rolled back."""
