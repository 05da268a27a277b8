"""``kpigov compile``, ``graph``, ``impact`` and ``explain`` through the CLI."""

from __future__ import annotations

import json
import re
from pathlib import Path

import jsonschema

from kpigov.compiler import MANIFEST_SCHEMA
from tests.compiler.helpers import edit, invoke

DOCS = Path(__file__).resolve().parents[2] / "docs" / "compiler.md"


def test_compile_writes_a_valid_manifest(example_repo: Path, tmp_path: Path) -> None:
    out = tmp_path / "m.json"
    code, _, err = invoke("compile", str(example_repo), "--out", str(out))
    assert code == 0, err
    manifest = json.loads(out.read_text())
    jsonschema.validate(manifest, MANIFEST_SCHEMA)
    assert manifest["kpi_order"].index("kpi/brand.customer.positive_share") > manifest["kpi_order"].index(
        "kpi/brand.customer.mention_volume")
    code, _, _ = invoke("compile", str(example_repo))
    assert code == 0 and (example_repo / ".kpigov" / "manifest.json").is_file()


def test_compile_of_an_invalid_repository_lists_diagnostics(example_repo: Path) -> None:
    edit(example_repo, "kpi_specs/customer/net_sentiment.yaml", "variant: talkwalker", "variant: talkwalkr")
    code, out, _ = invoke("compile", str(example_repo), "--format", "json")
    assert code == 1 and json.loads(out)["diagnostics"][0]["code"] == "KG205"
    assert invoke("compile", str(example_repo / "nope"))[0] == 2


def test_graph_formats(example_repo: Path) -> None:
    code, out, _ = invoke("graph", "--repo", str(example_repo), "--format", "mermaid")
    assert code == 0 and out.startswith("flowchart LR") and '-->|"formula input"|' in out
    code, out, _ = invoke("graph", "--repo", str(example_repo), "--format", "dot")
    assert code == 0 and out.startswith("digraph kpigov {") and out.rstrip().endswith("}")
    code, out, _ = invoke("graph", "--repo", str(example_repo), "--format", "json")
    graph = json.loads(out)
    assert {"parent": "dedup/default", "child": "kpi/brand.customer.net_sentiment", "why": "dedup policy"} in graph["edges"]
    assert invoke("graph", "--repo", str(example_repo), "--format", "svg")[0] == 2


def test_impact_lists_everything_downstream_with_why(example_repo: Path) -> None:
    code, out, _ = invoke("impact", "kpi/brand.customer.positive_volume", "--repo", str(example_repo), "--format", "json")
    impacted = {i["ref"]: i["path"] for i in json.loads(out)["impacted"]}
    assert code == 0 and impacted["kpi/brand.customer.positive_share"][0]["why"] == "formula input"
    code, out, _ = invoke("impact", "dataset/vendor-mentions", "--repo", str(example_repo))
    assert code == 0 and re.search(r"^kpi/brand.customer.positive_share: formula input  \(via dataset/mentions -> ", out, re.M)
    code, _, err = invoke("impact", "brand.customer.net_sentimnt", "--repo", str(example_repo))
    assert code == 2 and "did you mean 'brand.customer.net_sentiment'" in " ".join(err.split())  # rich wraps


def test_explain_in_plain_words(example_repo: Path) -> None:
    code, out, _ = invoke("explain", "brand.customer.net_sentiment", "--repo", str(example_repo))
    assert code == 0
    for expected in ("variant 'talkwalker'", "not is_bot", "reposts collapsed", "lexicon lexicon/brand-domain",
                     "trailing P8W", "tier 1: team/pr via pager", "team/executive-office"):
        assert expected in out, expected
    assert invoke("explain", "dedup/default", "--repo", str(example_repo))[0] == 2


def test_published_schema_is_the_one_in_the_code() -> None:
    text = DOCS.read_text(encoding="utf-8")
    block = text.split("<!-- manifest-schema -->", 2)[1]
    published = json.loads(block[block.index("```json") + 7: block.rindex("```")])
    assert published == MANIFEST_SCHEMA, "regenerate: kpigov compile --schema"
