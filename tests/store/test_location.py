"""One rule for which store a command uses: option > environment > kpigov.yaml > repository default."""

from __future__ import annotations

from pathlib import Path

import pytest

from kpigov.store import STORE_URL_ENV, StoreURLError, resolve_store_url


def test_the_option_wins_over_everything(tmp_path: Path) -> None:
    env = {STORE_URL_ENV: "duckdb:///env.duckdb"}
    assert resolve_store_url("duckdb:///opt.duckdb", tmp_path, "duckdb:///cfg.duckdb", env) == "duckdb:///opt.duckdb"


def test_the_environment_wins_over_the_config(tmp_path: Path) -> None:
    env = {STORE_URL_ENV: "postgresql+psycopg://u@h/db"}
    assert resolve_store_url(None, tmp_path, "duckdb:///cfg.duckdb", env) == "postgresql+psycopg://u@h/db"


def test_a_relative_config_path_is_relative_to_the_repository(tmp_path: Path) -> None:
    url = resolve_store_url(None, tmp_path, "duckdb:///data/s.duckdb?memory_limit=1GB", {STORE_URL_ENV: ""})
    assert url == f"duckdb:///{tmp_path.resolve() / 'data' / 's.duckdb'}?memory_limit=1GB"


def test_other_configured_urls_are_kept_as_written(tmp_path: Path) -> None:
    for url in ("duckdb:///:memory:", "duckdb:////abs/s.duckdb", "postgresql+psycopg://u@h/db"):
        assert resolve_store_url(None, tmp_path, url, {}) == url


def test_the_default_lives_in_the_repository(tmp_path: Path) -> None:
    assert resolve_store_url(None, tmp_path, None, {}) == f"duckdb:///{tmp_path.resolve() / '.kpigov' / 'store.duckdb'}"


def test_a_configured_url_that_is_not_one_is_a_store_url_error(tmp_path: Path) -> None:
    with pytest.raises(StoreURLError, match="spec.store is not a database URL"):
        resolve_store_url(None, tmp_path, "not a url", {})
