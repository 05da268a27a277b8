"""``kpigov diff --base REF`` on real Git histories made in the test: one case per rule.

Each case commits the example repository, edits the working tree (or a branch), runs the CLI and
checks the classified change (rule, kind, verdict) and the exit code.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.compiler.helpers import commit_all, diff_json, edit, git, invoke

NS = "kpi_specs/customer/net_sentiment.yaml"
SOV = "kpi_specs/customer/share_of_voice.yaml"
ACCESS = "policies/access.yaml"
RETENTION = "policies/retention.yaml"
APPROVAL = "  approvals: [{{team: {team}, reference: DPO-2026-114, date: 2026-11-20, scope: access}}]\n"
ANALYSTS = "actions: [read, export]\n      resources: [dataset/mentions]\n      masks: {author_handle: hash, author_id: hash, geo: \"null\"}"

Edit = tuple[str, str, str]

CASES: dict[str, tuple[list[Edit], str, str, str]] = {
    # name: (edits, rule, kind, verdict)
    "filter": ([(NS, "and not is_employee and cib_cluster", "and cib_cluster")], "filter-changed", "breaking", "blocked"),
    "variant": ([(NS, "variant: talkwalker", "variant: brand_health")], "sentiment-variant-changed", "breaking", "blocked"),
    "sentiment-threshold": ([(NS, "positive_at: 0.05, negative_at: -0.05}", "positive_at: 0.1, negative_at: -0.05}")],
                            "sentiment-threshold-changed", "breaking", "blocked"),
    "baseline": ([(NS, "window: P8W, seasonality: weekly, exclude_events", "window: P12W, seasonality: weekly, exclude_events")],
                 "baseline-changed", "breaking", "blocked"),
    "measure": ([("kpi_specs/customer/positive_volume.yaml", "label: positive", "label: neutral")],
                "measure-changed", "breaking", "blocked"),
    "panel": ([(SOV, "competitors: [apexrun, kinetiq, volta]", "competitors: [apexrun, kinetiq]")],
              "competitor-panel-changed", "breaking", "blocked"),
    "dedup-policy": ([("policies/dedup.yaml", "max_followers: 25", "max_followers: 50")], "dedup-policy-changed", "breaking", "blocked"),
    "lexicon": ([("policies/lexicon.yaml", "  positive_at: 0.05\n", "  positive_at: 0.1\n")], "lexicon-changed", "breaking", "blocked"),
    "access-new-role": ([(ACCESS, "roles: [role/analyst]\n      actions: [read, export]",
                          "roles: [role/analyst, role/viewer]\n      actions: [read, export]")],
                        "access-broadened", "policy-sensitive", "blocked"),
    "access-approved": ([(ACCESS, "roles: [role/analyst]\n      actions: [read, export]",
                          "roles: [role/analyst, role/viewer]\n      actions: [read, export]"),
                         (ACCESS, "  version: 1.4.0\n", "  version: 1.5.0\n" + APPROVAL.format(team="team/data-protection"))],
                        "access-broadened", "policy-sensitive", "allowed"),
    "access-approved-by-unauthorised-team": (
        [(ACCESS, "roles: [role/analyst]\n      actions: [read, export]", "roles: [role/analyst, role/viewer]\n      actions: [read, export]"),
         (ACCESS, "  version: 1.4.0\n", "  version: 1.5.0\n" + APPROVAL.format(team="team/pr"))],
        "access-broadened", "policy-sensitive", "blocked"),
    "mask-removed": ([(ACCESS, ANALYSTS, ANALYSTS.replace(', geo: "null"', ""))], "mask-removed", "policy-sensitive", "blocked"),
    "retention-beyond-maximum": ([(RETENTION, "period: P13M\n  action: anonymize", "period: P2Y\n  action: anonymize\n  maximum: P3Y")],
                                 "retention-beyond-maximum", "policy-sensitive", "blocked"),
    "retention-below-minimum": ([(RETENTION, "period: P10Y", "period: P5Y"), (RETENTION, "minimum: P6Y", "minimum: P4Y")],
                                "retention-below-minimum", "policy-sensitive", "blocked"),
    "escalation-tier-removed": ([("policies/escalation.yaml",
                                  "    - {level: 3, team: team/executive-office, escalate_after: PT12H, channel: email}\n", "")],
                                "escalation-tier-removed", "policy-sensitive", "blocked"),
    "privacy-weakened": ([("kpi_specs/customer/public_mention_volume.yaml", "epsilon: 0.5", "epsilon: 0.8")],
                         "privacy-weakened", "policy-sensitive", "blocked"),
    "scorecard-mixes-variants": ([("kpi_specs/customer/net_sentiment_pct.yaml", "status: deprecated", "status: active")],
                                 "mixed-sentiment-variants", "breaking", "blocked"),
    "description": ([("kpi_specs/customer/positive_volume.yaml", "(sentiment-adjusted volume)", "(sentiment-adjusted)")],
                    "metadata-changed", "compatible", "allowed"),
    "calendar-event-moved": ([("policies/calendar.yaml", "start: 2026-10-05", "start: 2026-10-04")],
                             "baseline-calendar-changed", "breaking", "blocked"),
    # Cohorts define `kpigov compare` groups only; no baseline reads them.
    "calendar-cohorts-only": ([("policies/calendar.yaml", "geo in ('US', 'CA')", "geo in ('US')")],
                              "minor-change", "compatible", "warning"),
    "bands-without-bump": ([("kpi_specs/customer/positive_volume.yaml", 'green: ">= 550"', 'green: ">= 560"')],
                           "minor-change", "compatible", "warning"),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_rule(git_repo: Path, name: str) -> None:
    edits, rule, kind, verdict = CASES[name]
    for path, old, new in edits:
        edit(git_repo, path, old, new)
    code, report = diff_json(git_repo)
    matching = [c for c in report["changes"] if c["rule"] == rule]
    assert matching, f"no '{rule}' change in {[(c['rule'], c['node'], c['field']) for c in report['changes']]}"
    assert {(c["kind"], c["verdict"]) for c in matching} == {(kind, verdict)}, matching
    assert report["valid"] is True, report["diagnostics"]
    assert code == (1 if report["blocked"] else 0)
    assert (report["blocked"] > 0) == any(c["verdict"] == "blocked" for c in report["changes"])


def test_unchanged_tree_has_no_change(git_repo: Path) -> None:
    assert diff_json(git_repo) == (0, diff_json(git_repo)[1])
    code, report = diff_json(git_repo)
    assert code == 0 and report["changes"] == [] and report["blocked"] == 0


def test_breaking_change_allowed_with_major_bump_and_deprecated_predecessor(git_repo: Path) -> None:
    old = (git_repo / NS).read_text(encoding="utf-8")
    predecessor = (old.replace("id: brand.customer.net_sentiment\n", "id: brand.customer.net_sentiment_v2\n")
                   .replace("status: active", "status: deprecated\n  deprecation_date: 2027-06-30\n"
                            "  replacement: brand.customer.net_sentiment"))
    (git_repo / "kpi_specs/customer/net_sentiment_v2.yaml").write_text(predecessor, encoding="utf-8")
    edit(git_repo, NS, "and not is_employee and cib_cluster", "and cib_cluster")
    edit(git_repo, NS, "version: 2.1.0", "version: 3.0.0")
    code, report = diff_json(git_repo)
    filter_change = next(c for c in report["changes"] if c["rule"] == "filter-changed")
    assert filter_change["verdict"] == "allowed" and "net_sentiment_v2" in filter_change["reason"]
    assert code == 0, report


def test_major_bump_alone_is_not_enough(git_repo: Path) -> None:
    edit(git_repo, NS, "and not is_employee and cib_cluster", "and cib_cluster")
    edit(git_repo, NS, "version: 2.1.0", "version: 3.0.0")
    code, report = diff_json(git_repo)
    change = next(c for c in report["changes"] if c["rule"] == "filter-changed")
    assert code == 1 and change["verdict"] == "blocked" and "no deprecated KPI" in change["reason"]


def test_removed_kpi_still_referenced_is_blocked(git_repo: Path) -> None:
    (git_repo / "kpi_specs/customer/mention_volume.yaml").unlink()
    code, report = diff_json(git_repo)
    removed = [c for c in report["changes"] if c["rule"] == "removed-kpi-referenced"]
    assert code == 1 and removed and removed[0]["verdict"] == "blocked"
    assert "kpi/brand.customer.positive_share" in removed[0]["reason"]
    assert report["valid"] is False and any(d["code"] == "KG601" for d in report["diagnostics"])


def test_new_kpi_is_compatible_and_a_committed_branch_is_compared(git_repo: Path) -> None:
    git(git_repo, "checkout", "-q", "-b", "feature")
    text = (git_repo / "kpi_specs/customer/positive_volume.yaml").read_text(encoding="utf-8")
    (git_repo / "kpi_specs/customer/positive_volume_x.yaml").write_text(
        text.replace("id: brand.customer.positive_volume", "id: brand.customer.positive_volume_x"), encoding="utf-8")
    commit_all(git_repo, "new KPI")
    code, report = diff_json(git_repo, "main")
    assert code == 0
    assert [(c["rule"], c["node"], c["verdict"]) for c in report["changes"]] == [
        ("kpi-added", "kpi/brand.customer.positive_volume_x", "allowed")]


def test_unknown_base_is_a_usage_error(git_repo: Path) -> None:
    code, out, err = invoke("diff", str(git_repo), "--base", "origin/nope")
    assert code == 2 and "'origin/nope' is not a commit" in " ".join(err.split()) and out == ""


def test_outside_git_is_a_usage_error(example_repo: Path) -> None:
    code, _, err = invoke("diff", str(example_repo), "--base", "main")
    assert code == 2 and "is not a commit" in " ".join(err.split())


def test_base_that_does_not_validate_is_a_usage_error_listing_its_diagnostics(git_repo: Path) -> None:
    edit(git_repo, NS, "variant: talkwalker", "variant: talkwalkr")
    commit_all(git_repo, "broken base")
    edit(git_repo, NS, "variant: talkwalkr", "variant: talkwalker")
    code, out, err = invoke("diff", str(git_repo), "--base", "HEAD")
    assert code == 2, (out, err)
    assert f"{NS}:" in out and "KG205" in out and "does not validate" in " ".join(err.split())


def test_sarif_and_github_point_at_the_changed_line(git_repo: Path) -> None:
    edit(git_repo, NS, "and not is_employee and cib_cluster", "and cib_cluster")
    code, out, _ = invoke("diff", str(git_repo), "--base", "main", "--format", "sarif")
    assert code == 1
    results = json.loads(out)["runs"][0]["results"]
    blocked = [r for r in results if r["ruleId"] == "KG710"]
    filter_line = next(i for i, line in enumerate((git_repo / NS).read_text().splitlines(), 1) if line.startswith("  filter:"))
    assert blocked and blocked[0]["level"] == "error"
    assert blocked[0]["locations"][0]["physicalLocation"]["region"]["startLine"] == filter_line
    code, out, _ = invoke("diff", str(git_repo), "--base", "main", "--format", "github")
    assert code == 1 and out.startswith(f"::error file={NS},line={filter_line}")
