"""``kpigov publish``: writes the public file; an exhausted budget exits 1."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from kpigov.cli.main import app
from kpigov.store import Store

runner = CliRunner()


def test_publish_until_the_budget_is_spent(store: Store, tmp_path: Path) -> None:
    out = tmp_path / "scorecard.json"
    args = ["publish", ".", "--store", store.display_url, "--as-of", "2026-11-25", "--out", str(out)]
    store.close()  # the command opens the store itself
    first = runner.invoke(app, args)
    assert first.exit_code == 0, first.output
    assert json.loads(out.read_text())["kpis"][0]["status"] == "published"
    assert runner.invoke(app, args).exit_code == 0
    refused = runner.invoke(app, args)
    assert refused.exit_code == 1 and "budget" in refused.output
    assert json.loads(out.read_text())["kpis"][0]["status"] == "withheld"
