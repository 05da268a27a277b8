from __future__ import annotations

from pathlib import Path

import pytest

from tests.compiler.helpers import init_repo
from tests.conftest import copy_example


@pytest.fixture
def git_repo(tmp_path: Path) -> Path:
    """A private copy of the example repository, committed as the base of a Git history."""
    repo = copy_example(tmp_path / "repo")
    init_repo(repo)
    return repo
