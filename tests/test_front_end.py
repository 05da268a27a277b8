"""The front end as a user meets it: public API, CLI formats and exit codes, schemas, docs."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
from typer.testing import CliRunner

import kpigov
from kpigov.cli.main import app
from kpigov.diagnostics import Code, ExitCode
from kpigov.docgen import GENERATED, DOCS
from kpigov.loader import load_text
from kpigov.specs import KINDS, json_schemas, parse_document

ROOT = Path(__file__).resolve().parents[1]
runner = CliRunner()


def test_public_api() -> None:
    assert sorted(kpigov.__all__) == sorted(["__version__", "load", "Project", "Governance", "Diagnostic", "Diagnostics", "Code",
                                             "Severity", "Location", "ExitCode"])
    for name in kpigov.__all__:
        assert hasattr(kpigov, name)


def test_exit_codes_are_documented_values() -> None:
    assert [int(c) for c in ExitCode] == [0, 1, 2]


def test_codes_are_unique() -> None:
    assert len({c.code for c in Code}) == len(Code)
    assert len({c.slug for c in Code}) == len(Code)


@pytest.mark.parametrize("name", sorted(GENERATED))
def test_generated_docs_are_current(name: str) -> None:
    assert (DOCS / name).read_text(encoding="utf-8") == GENERATED[name](), "run: python -m kpigov.docgen"


def _broken_repo(example_repo: Path) -> Path:
    (example_repo / "kpi_specs" / "broken.yaml").write_text(
        "apiVersion: kpigov/v1\nkind: KPI\nmetadata: {id: brand.customer.broken, version: 1.0}\n", encoding="utf-8")
    return example_repo


def test_cli_valid_repository_exits_0() -> None:
    result = runner.invoke(app, ["validate", str(ROOT)])
    assert result.exit_code == ExitCode.OK, result.output


def test_cli_text_format(example_repo: Path) -> None:
    result = runner.invoke(app, ["validate", str(_broken_repo(example_repo))])
    assert result.exit_code == ExitCode.FAILED
    assert "kpi_specs/broken.yaml:3:48: error KG204: metadata.version: expected a string" in result.stdout
    assert "kpi_specs/broken.yaml:1:1: error KG202: missing required field 'spec'" in result.stdout


def test_cli_json_format(example_repo: Path) -> None:
    result = runner.invoke(app, ["validate", str(_broken_repo(example_repo)), "--format", "json"])
    assert result.exit_code == ExitCode.FAILED
    payload = json.loads(result.stdout)
    assert payload["valid"] is False
    first = payload["diagnostics"][0]
    assert first == {"path": "kpi_specs/broken.yaml", "line": 1, "column": 1, "severity": "error", "code": "KG202",
                     "rule": "missing-field", "message": "missing required field 'spec' in the document", "hint": None}


def test_cli_sarif_format_is_valid_sarif(example_repo: Path) -> None:
    result = runner.invoke(app, ["validate", str(_broken_repo(example_repo)), "--format", "sarif"])
    sarif = json.loads(result.stdout)
    run = sarif["runs"][0]
    assert sarif["version"] == "2.1.0"
    assert {r["ruleId"] for r in run["results"]} == {"KG202", "KG204"}
    region = run["results"][0]["locations"][0]["physicalLocation"]["region"]
    assert region["startLine"] >= 1 and region["startColumn"] >= 1
    for result_ in run["results"]:
        assert run["tool"]["driver"]["rules"][result_["ruleIndex"]]["id"] == result_["ruleId"]


def test_cli_github_annotations(example_repo: Path) -> None:
    result = runner.invoke(app, ["validate", str(_broken_repo(example_repo)), "--format", "github"])
    lines = result.stdout.splitlines()
    assert lines[0].startswith("::error file=kpi_specs/broken.yaml,line=1,col=1,title=KG202 missing-field::")


def test_cli_usage_errors_exit_2(tmp_path: Path) -> None:
    assert runner.invoke(app, ["validate", str(tmp_path / "missing")]).exit_code == ExitCode.ERROR
    assert runner.invoke(app, ["validate", "--format", "xml"]).exit_code == ExitCode.ERROR


def test_console_script_never_prints_a_traceback(tmp_path: Path) -> None:
    proc = subprocess.run([sys.executable, "-m", "kpigov.cli.main", "validate", "--nope"], capture_output=True, text=True)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr


def test_max_caps_text_output(example_repo: Path) -> None:
    _broken_repo(example_repo)
    result = runner.invoke(app, ["validate", str(example_repo), "--max", "1"])
    assert "KG901" in result.stdout and "1 more diagnostics not shown" in result.stdout


def test_schema_command_writes_schemas(tmp_path: Path) -> None:
    result = runner.invoke(app, ["schema", "--out", str(tmp_path)])
    assert result.exit_code == 0
    assert {p.stem for p in tmp_path.glob("*.json")} == set(KINDS) | {"kpigov", "Config"}
    assert not list(tmp_path.glob("*.tmp"))


def test_json_schema_agrees_with_models_on_example_and_golden_cases() -> None:
    """The published schema and the models accept and reject the same documents."""
    schemas = json_schemas()
    validator = jsonschema.Draft202012Validator(schemas["kpigov"], format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)
    checked = accepted = 0
    files = [*(ROOT / "kpi_specs").rglob("*.yaml"), *(ROOT / "policies").rglob("*.yaml"),
             *(ROOT / "expectations").rglob("*.yaml"), *(ROOT / "tests" / "cases" / "validate").rglob("*.yaml")]
    for file in files:
        loaded = load_text(file.name, file.read_bytes())
        for doc in loaded.documents:
            kind = doc.data.get("kind")
            if kind not in KINDS or doc.data.get("apiVersion") != "kpigov/v1":
                continue
            _, diagnostics = parse_document(doc)
            schema_errors = list(validator.iter_errors(doc.data))
            assert (not diagnostics) == (not schema_errors), (file, diagnostics, [e.message for e in schema_errors])
            checked += 1
            accepted += not diagnostics
    assert checked >= 60 and accepted >= 40
