"""The Governance API on the example repository: decisions, permuted files, reload, retention, routing, KPIs."""

from __future__ import annotations

import itertools
from datetime import datetime
from pathlib import Path

import pytest
from ruamel.yaml import YAML

import kpigov
from kpigov.evaluate.alerts import Alert
from kpigov.runtime import Governance, GovernanceLoadError, UnknownResourceError

PRIYA = "priya.raman@stridewell.example"  # team/social-analytics -> role/analyst


def test_decisions_of_the_example_policies(gov: Governance) -> None:
    read = gov.check_access("analyst", "read", "dataset/mentions")
    assert read.allowed and read.rule is not None and read.rule.id == "analysts-read-pseudonymised"
    assert str(read.rule.location) == "policies/access.yaml:11:7"
    assert dict(read.masks) == {"author_handle": "hash", "author_id": "hash", "geo": "null"}
    export = gov.check_access("role/analyst", "export", "dataset/mentions")
    assert export.allowed and export.hidden == {"author_handle", "author_id", "geo"}
    column = gov.check_access("analyst", "export", "dataset/mentions:geo")
    assert not column.allowed and column.rule is not None and column.rule.id == "no-raw-export-of-personal-data"
    assert read.decision_id != export.decision_id


def test_principals_resolve_through_teams_and_inheritance(gov: Governance) -> None:
    assert gov.check_access(PRIYA, "publish", "kpi/brand.customer.public_mention_volume").allowed
    assert gov.check_access("pr-officer", "read", "kpi/brand.customer.net_sentiment").roles == {"role/pr-officer",
                                                                                                  "role/viewer"}
    assert gov.check_access({"viewer", "analyst"}, "publish", "kpi/brand.customer.public_mention_volume").allowed
    unknown = gov.check_access("mallory@evil.example", "read", "kpi/brand.customer.net_sentiment")
    assert not unknown.allowed and unknown.rule is None and unknown.roles == frozenset()


def test_conditions_decide_on_a_row(gov: Governance) -> None:
    complaint = {"entity": "stridewell", "topic": "delivery"}
    general = gov.check_access("care-agent", "read", "dataset/mentions")
    assert general.allowed and general.row_filter is not None
    assert gov.check_access("care-agent", "read", "dataset/mentions", row=complaint).allowed
    assert not gov.check_access("care-agent", "read", "dataset/mentions", row={**complaint, "entity": "apexrun"}).allowed
    assert not gov.check_access("care-agent", "read", "dataset/mentions", row={**complaint, "topic": None}).allowed


def test_batch_answers_like_single_checks(gov: Governance) -> None:
    requests = list(itertools.product(["analyst", "care-agent", "auditor", PRIYA, "nobody"], ["read", "export"],
                                      ["dataset/mentions", "dataset/mentions:text", "kpi/brand.customer.net_sentiment"]))
    batch = gov.check_many(requests)
    single = [gov.check_access(*request) for request in requests]
    assert [d.to_json() | {"decision_id": ""} for d in batch] == [d.to_json() | {"decision_id": ""} for d in single]


def _grid(gov: Governance, project: kpigov.Project) -> list[dict[str, object]]:
    principals = ["analyst", "care-agent", "pr-officer", "viewer", "auditor", PRIYA, "nobody", frozenset({"analyst",
                                                                                                         "auditor"})]
    resources = ["dataset/mentions", "dataset/vendor-mentions", "dataset/unknown", "kpi/unknown",
                 *(f"dataset/mentions:{c}" for c in ("author_handle", "geo", "text", "entity")),
                 *(k.ref for k in project.kpis)]
    return [gov.check_access(p, a, r).to_json() | {"decision_id": ""}
            for p in principals for a in ("read", "export", "read_raw", "publish") for r in resources]


def test_permuting_policy_files_and_rules_changes_no_decision(gov: Governance, example_repo: Path) -> None:
    yaml = YAML(typ="safe")
    yaml.default_flow_style = False  # round-trip flow lists drop the quotes 'dataset/d:c' needs
    access = example_repo / "policies" / "access.yaml"
    documents = list(yaml.load_all(access.read_text()))
    access.unlink()
    for i, document in enumerate(reversed(documents)):
        document["spec"]["rules"] = list(reversed(document["spec"]["rules"]))
        with (example_repo / "policies" / f"{'zyx'[i]}_access.yaml").open("w") as out:
            yaml.dump(document, out)
    permuted = Governance.load(example_repo)
    project = kpigov.load(example_repo)
    strip = [{**d, "rule": d["rule"] and {k: v for k, v in d["rule"].items() if k != "location"}}  # type: ignore[union-attr]
             for d in _grid(gov, project)]
    assert strip == [{**d, "rule": d["rule"] and {k: v for k, v in d["rule"].items() if k != "location"}}  # type: ignore[union-attr]
                     for d in _grid(permuted, project)]


def test_reload_swaps_rules_and_a_broken_repository_keeps_the_last_good_ones(example_repo: Path) -> None:
    gov = Governance.load(example_repo)
    access = example_repo / "policies" / "access.yaml"
    original = access.read_text()
    assert gov.check_access("viewer", "read", "kpi/brand.customer.net_sentiment").allowed
    access.write_text(original.replace("roles: [role/viewer, role/analyst,", "roles: [role/analyst,"))
    report = gov.reload()
    assert report.ok and not gov.problems
    assert not gov.check_access("viewer", "read", "kpi/brand.customer.net_sentiment").allowed
    good = gov.fingerprint
    access.write_text(original.replace("effect: deny", "effect: maybe"))
    broken = gov.reload()
    assert not broken.ok and broken.fingerprint == good == gov.fingerprint
    assert any("access.yaml" in str(d.location) for d in gov.problems)
    assert not gov.check_access("viewer", "read", "kpi/brand.customer.net_sentiment").allowed
    assert not gov.check_access("analyst", "export", "dataset/mentions:geo").allowed


def test_a_broken_repository_cannot_be_loaded(example_repo: Path) -> None:
    (example_repo / "policies" / "roles.yaml").write_text("kind: Role\napiVersion: kpigov/v1\nmetadata: {}\n")
    with pytest.raises(GovernanceLoadError) as caught:
        Governance.load(example_repo)
    assert caught.value.diagnostics.has_errors


def test_retention_answers(gov: Governance) -> None:
    handle = gov.retention("dataset/mentions:author_handle")
    assert (handle.data_class, handle.period, handle.action, handle.legal_hold) == ("personal_data", "P13M",
                                                                                   "anonymize", False)
    assert "GDPR" in (handle.legal_basis or "")
    assert gov.retention("mentions.author_handle").terms == handle.terms
    audit = gov.retention("audit")
    assert audit.legal_hold and audit.period == "P10Y"
    deleted = gov.retention("mentions.native_id")
    assert deleted.governing is not None and deleted.governing.when == "deleted_at_source"
    assert gov.retention("public").terms == ()
    for bad in ("dataset/nope", "mentions.nope", "secret_class"):
        with pytest.raises(UnknownResourceError):
            gov.retention(bad)


def test_routing_reuses_the_escalation_policy(gov: Governance) -> None:
    raised = datetime(2026, 11, 22, 9)
    routed = gov.route(Alert("brand.customer.net_sentiment", "band_breach", "red", band="red"), raised)
    assert routed is not None and routed.policy == "escalation/brand-negative-cluster"
    assert [(t.team, t.notify_at.hour) for t in routed.tiers] == [("team/pr", 9), ("team/legal", 10),
                                                                   ("team/executive-office", 14)]
    assert gov.route(Alert("brand.customer.net_sentiment", "band_breach", "amber", band="amber"), raised) is None
    with pytest.raises(UnknownResourceError):
        gov.route(Alert("no.such.kpi", "band_breach", "x", band="red"))


def test_kpi_answer_without_a_store(gov: Governance) -> None:
    answer = gov.kpi("kpi/brand.customer.net_sentiment")
    assert answer.status == "active" and answer.last is None and not answer.trustworthy
    assert answer.lineage.job == "evaluate.brand.customer.net_sentiment"
    assert str(answer.location).startswith("kpi_specs/customer/net_sentiment.yaml:")
    assert "Who is alerted" in gov.explain("brand.customer.net_sentiment")
    with pytest.raises(UnknownResourceError):
        gov.kpi("brand.nope")
