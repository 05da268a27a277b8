"""Helpers for compiler tests: real Git repositories made in the test, file edits, the CLI."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from kpigov.cli.main import app

runner = CliRunner()
GIT = ["git", "-c", "user.name=kpigov tests", "-c", "user.email=tests@kpigov.invalid", "-c", "commit.gpgsign=false"]


def git(repo: Path, *args: str) -> str:
    return subprocess.run([*GIT, "-C", str(repo), *args], check=True, capture_output=True, text=True).stdout


def commit_all(repo: Path, message: str = "change") -> str:
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "--allow-empty", "-m", message)
    return git(repo, "rev-parse", "HEAD").strip()


def init_repo(repo: Path) -> str:
    git(repo, "init", "-q", "-b", "main")
    return commit_all(repo, "base")


def edit(repo: Path, path: str, old: str, new: str) -> None:
    """Replace one exact occurrence of ``old`` (the test fails loudly if the example changed)."""
    target = repo / path
    text = target.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{path}: expected exactly one {old!r}"
    target.write_text(text.replace(old, new), encoding="utf-8")


def invoke(*args: str) -> tuple[int, str, str]:
    done = runner.invoke(app, list(args))
    if done.exception is not None and not isinstance(done.exception, SystemExit):
        raise done.exception
    return done.exit_code, done.stdout, done.stderr


def diff_json(repo: Path, base: str = "main") -> tuple[int, dict[str, Any]]:
    code, out, err = invoke("diff", str(repo), "--base", base, "--format", "json")
    assert out.strip().startswith("{"), (code, out, err)
    return code, json.loads(out)
