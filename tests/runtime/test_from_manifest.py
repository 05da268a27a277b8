"""Governance loaded from the manifest CI compiled answers exactly as Governance loaded from the repository.

The manifest is written by ``kpigov compile`` itself; both governances are compared over every role ×
action × resource of the example, every retention subject, every alert and every KPI. A manifest
edited after it was compiled, or of another major version, is refused.
"""

from __future__ import annotations

import itertools
import json
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

import kpigov
from kpigov.cli.main import app
from kpigov.compiler.resolve import canonical_json, resolve
from kpigov.diagnostics import Location
from kpigov.evaluate.alerts import Alert
from kpigov.runtime import Governance, GovernanceLoadError, UnknownResourceError
from kpigov.runtime import manifest as from_manifest
from kpigov.runtime.governance import RuleSet
from kpigov.specs import KINDS
from kpigov.specs.data import Dataset
from kpigov.specs.org import Role, Team
from kpigov.specs.policy import AccessPolicy, RetentionRule
from kpigov.specs.quality import ExpectationSuite
from tests.conftest import copy_example
from tests.runtime.conftest import mention_rows

RAISED = datetime(2026, 11, 22, 9)


def compile_manifest(repo: Path, out: Path) -> dict[str, Any]:
    """Run ``kpigov compile REPO --out OUT`` as CI does; the manifest it wrote."""
    result = CliRunner().invoke(app, ["compile", str(repo), "--out", str(out)])
    assert result.exit_code == 0, result.output
    return json.loads(out.read_text())


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return copy_example(tmp_path_factory.mktemp("from-manifest") / "repo")


@pytest.fixture(scope="module")
def manifest_path(repo: Path) -> Path:
    path = repo.parent / "manifest.json"
    compile_manifest(repo, path)
    return path


@pytest.fixture(scope="module")
def project(repo: Path) -> kpigov.Project:
    return kpigov.load(repo)


@pytest.fixture(scope="module")
def from_repo(repo: Path) -> Governance:
    return Governance.load(repo)


@pytest.fixture(scope="module")
def from_file(manifest_path: Path) -> Governance:
    return Governance.load(manifest_path)


def write(path: Path, manifest: dict[str, Any]) -> Path:
    path.write_text(json.dumps(manifest))
    return path


def unlocated(location: Location) -> Location:
    """What a manifest knows of a location: the file, not the line."""
    return Location(location.path)


# -- loading ----------------------------------------------------------------------------------------


def test_load_dispatches_on_a_manifest_and_keeps_the_fingerprint(from_repo: Governance, from_file: Governance,
                                                                 manifest_path: Path) -> None:
    assert from_file.root == manifest_path.resolve()
    assert from_file.fingerprint == from_repo.fingerprint == json.loads(manifest_path.read_text())["fingerprint"]
    assert Governance.from_manifest(manifest_path).fingerprint == from_repo.fingerprint


def test_a_manifest_without_the_json_suffix_is_recognised(manifest_path: Path, tmp_path: Path,
                                                          from_repo: Governance) -> None:
    artefact = tmp_path / "governance.manifest"
    artefact.write_bytes(manifest_path.read_bytes())
    assert from_manifest.is_manifest(artefact) and not from_manifest.is_manifest(tmp_path)
    assert Governance.load(artefact).fingerprint == from_repo.fingerprint


def test_every_document_is_rebuilt_to_what_it_was_compiled_from(project: kpigov.Project, manifest_path: Path) -> None:
    """The inverse per node: typed again and resolved, each rebuilt document has the same meaning and metadata."""
    nodes = json.loads(manifest_path.read_text())["nodes"]
    assert set(nodes) == set(project.specs)
    assert {node["kind"] for node in nodes.values()} >= {"KPI", "Dataset", "ExpectationSuite", "Role", "AccessPolicy",
                                                         "RetentionRule", "EscalationPolicy", "Team"}
    for ref, node in nodes.items():
        document = from_manifest.spec_document(ref, node)
        spec = KINDS[node["kind"]].model_validate(document)
        compiled = resolve(spec, node["file"])
        assert (compiled.meaning_json, compiled.metadata_json) == (canonical_json(node["meaning"]),
                                                                   canonical_json(node["metadata"])), ref


def _round_trip(spec: Any) -> Any:
    """``spec`` compiled into a manifest node and rebuilt from it."""
    node = resolve(spec, "policies/x.yaml")
    entry = {"kind": node.kind, "meaning": node.meaning, "metadata": node.metadata}
    return KINDS[spec.KIND].model_validate(from_manifest.spec_document(spec.ref, entry)).spec


def test_descriptions_moved_into_metadata_are_put_back(project: kpigov.Project) -> None:
    def described(items: Any) -> dict[str, str | None]:
        return {str(getattr(item, "name", None) or item.id): item.description for item in items}

    datasets = list(project.of_kind(Dataset))
    assert any(c.description for d in datasets for c in d.spec.columns)
    assert any(k.spec.footnotes for k in project.kpis)
    for dataset in datasets:
        assert described(_round_trip(dataset).columns) == described(dataset.spec.columns)
    for kpi in project.kpis:
        assert _round_trip(kpi).footnotes == kpi.spec.footnotes
    for role in project.of_kind(Role):  # the example describes no role in its spec: describe each
        for text in (None, "Reads dashboards."):
            described_role = role.model_copy(update={"spec": role.spec.model_copy(update={"description": text})})
            assert _round_trip(described_role).description == text
    for suite in project.of_kind(ExpectationSuite):  # the example describes no expectation: describe one
        first, *rest = suite.spec.expectations
        spec = suite.spec.model_copy(update={"expectations": [first.model_copy(update={"description": "Why."}), *rest]})
        described_suite = suite.model_copy(update={"spec": spec})
        assert described(_round_trip(described_suite).expectations) == described(spec.expectations)


def test_manifest_rules_name_their_file_without_inventing_a_line(from_file: Governance) -> None:
    decision = from_file.check_access("analyst", "read", "dataset/mentions")
    assert decision.rule is not None and str(decision.rule.location) == "policies/access.yaml"
    assert decision.rule.location.line == 0
    assert str(from_file.kpi("brand.customer.net_sentiment").location) == "kpi_specs/customer/net_sentiment.yaml"


# -- the same answers ------------------------------------------------------------------------------


def _principals(project: kpigov.Project) -> list[Any]:
    roles = [role.id for role in project.of_kind(Role)]
    contacts = [member.contact for team in project.of_kind(Team) for member in team.spec.members if member.contact]
    return [*roles, *(f"role/{r}" for r in roles), *contacts, "nobody", frozenset({"analyst", "auditor"}),
            frozenset({"viewer", "care-agent"})]


def _actions(project: kpigov.Project) -> list[str]:
    written = {a for policy in project.of_kind(AccessPolicy) for rule in policy.spec.rules for a in rule.actions}
    return sorted(written | {"delete"})


def _resources(project: kpigov.Project) -> list[str]:
    datasets = list(project.of_kind(Dataset))
    return [*(d.ref for d in datasets), *(f"{d.ref}:{c.name}" for d in datasets for c in d.spec.columns),
            *(k.ref for k in project.kpis), "dataset/unknown", "dataset/mentions:unknown", "kpi/unknown"]


def _decision(decision: Any, *, manifest: bool) -> dict[str, Any]:
    answer = decision.to_json() | {"decision_id": ""}
    if answer["rule"] is not None and not manifest:
        location = decision.rule.location
        answer["rule"] = answer["rule"] | {"location": str(unlocated(location))}
    return answer


def test_every_access_decision_is_the_same(project: kpigov.Project, from_repo: Governance,
                                           from_file: Governance) -> None:
    grid = list(itertools.product(_principals(project), _actions(project), _resources(project)))
    assert len(grid) > 2000
    expected = [_decision(from_repo.check_access(*request), manifest=False) for request in grid]
    assert [_decision(from_file.check_access(*request), manifest=True) for request in grid] == expected
    assert [_decision(d, manifest=True) for d in from_file.check_many(grid)] == expected
    effects = {answer["effect"] for answer in expected}
    assert effects == {"allow", "deny"} and any(answer["row_filter"] for answer in expected)
    assert any(answer["masks"] for answer in expected) and any(answer["hidden"] for answer in expected)


def test_decisions_on_rows_are_the_same(project: kpigov.Project, from_repo: Governance, from_file: Governance) -> None:
    allowed = set()
    for principal, action, row in itertools.product(_principals(project), _actions(project), mention_rows()):
        repo_answer = from_repo.check_access(principal, action, "dataset/mentions", row=row)
        file_answer = from_file.check_access(principal, action, "dataset/mentions", row=row)
        assert _decision(file_answer, manifest=True) == _decision(repo_answer, manifest=False)
        if principal == "care-agent" and action == "read":
            allowed.add(repo_answer.allowed)
    assert allowed == {True, False}  # the care agent's condition admits some rows and not others


def _retention(answer: Any) -> tuple[Any, ...]:
    terms = tuple((t.rule, t.data_class, t.period, t.action, t.when, t.legal_basis, t.jurisdiction, t.legal_hold,
                   unlocated(t.location)) for t in answer.terms)
    return answer.subject, answer.data_class, terms


def test_retention_answers_are_the_same(project: kpigov.Project, from_repo: Governance, from_file: Governance) -> None:
    datasets = list(project.of_kind(Dataset))
    classes = {c.data_class for d in datasets for c in d.spec.columns} | {r.spec.data_class
                                                                         for r in project.of_kind(RetentionRule)}
    subjects = [*sorted(classes), "public", *(d.ref for d in datasets), *(f"{d.ref}:{c.name}" for d in datasets
                                                                         for c in d.spec.columns),
                *(f"{d.id}.{c.name}" for d in datasets for c in d.spec.columns)]
    answered = 0
    for subject in subjects:
        assert _retention(from_file.retention(subject)) == _retention(from_repo.retention(subject)), subject
        answered += bool(from_repo.retention(subject).terms)
    assert answered > 10
    for unknown in ("dataset/nope", "mentions.nope", "secret_class"):
        with pytest.raises(UnknownResourceError):
            from_file.retention(unknown)


def _alerts(project: kpigov.Project) -> list[Alert]:
    alerts = []
    for kpi in project.kpis:
        alerts += [Alert(kpi.id, "band_breach", band, band=band) for band in ("green", "amber", "red")]
        alerts += [Alert(kpi.id, "spike", d, detector=d) for d in ("negative-spike", "durability-spike", "other")]
        alerts += [Alert(kpi.id, "negative_cluster", "cluster", topic=t, cluster_size=n)
                   for t in ("delivery", "launch", None) for n in (10, 20, 40)]
        alerts += [Alert(kpi.id, "quality_failure", "gate failed"), Alert(kpi.id, "withheld", "withheld")]
    return alerts


def test_routes_are_the_same(project: kpigov.Project, from_repo: Governance, from_file: Governance) -> None:
    routed = 0
    for alert in _alerts(project):
        expected = from_repo.route(alert, RAISED)
        answer = from_file.route(alert, RAISED)
        assert (answer.to_json() if answer else None) == (expected.to_json() if expected else None), alert
        routed += expected is not None
    assert routed > 10
    with pytest.raises(UnknownResourceError):
        from_file.route(Alert("no.such.kpi", "band_breach", "x", band="red"))


def test_kpi_answers_and_explanations_are_the_same(project: kpigov.Project, from_repo: Governance,
                                                  from_file: Governance) -> None:
    for kpi in project.kpis:
        expected, answer = from_repo.kpi(kpi.id), from_file.kpi(kpi.id)
        assert answer.location == unlocated(expected.location)
        assert (answer.id, answer.version, answer.status, answer.owner, answer.definition, answer.fingerprint,
                answer.lineage, answer.caveats) == (expected.id, expected.version, expected.status, expected.owner,
                                                    expected.definition, expected.fingerprint, expected.lineage,
                                                    expected.caveats)
        located = from_repo.explain(kpi.id)
        assert from_file.explain(kpi.id) == located.replace(str(expected.location), str(answer.location))
    with pytest.raises(UnknownResourceError):
        from_file.kpi("brand.nope")


def test_the_lineage_namespace_can_be_given(manifest_path: Path) -> None:
    gov = Governance.from_manifest(manifest_path, namespace="stridewell-prod")
    assert gov.kpi("brand.customer.net_sentiment").lineage.namespace == "stridewell-prod"


def test_band_thresholds_printed_in_exponent_form_load(tmp_path: Path) -> None:
    """``>= 0.00001`` is canonicalised to ``>= 1e-05``, which the band grammar does not read: it is written back."""
    repo = copy_example(tmp_path / "repo")
    spec = repo / "kpi_specs" / "customer" / "net_sentiment.yaml"
    text = spec.read_text()
    old = 'bands: {green: ">= 0.30", amber: ">= 0.15", red: "< 0.15"}'
    assert old in text
    spec.write_text(text.replace(old, 'bands: {green: ">= 0.0001", amber: ">= 0.00001", red: "< 0.00001"}'))
    manifest = compile_manifest(repo, tmp_path / "manifest.json")
    assert manifest["nodes"]["kpi/brand.customer.net_sentiment"]["meaning"]["bands"]["amber"] == ">= 1e-05"
    assert Governance.load(tmp_path / "manifest.json").fingerprint == Governance.load(repo).fingerprint


# -- refusing -----------------------------------------------------------------------------------------


def _an_allow_rule_added(manifest: dict[str, Any]) -> dict[str, Any]:
    """The manifest with a rule letting viewers read raw mentions added to a node's meaning, nothing else changed."""
    tampered = json.loads(json.dumps(manifest))
    rules = tampered["nodes"]["access/mentions-access"]["meaning"]["rules"]
    rules.append({**rules[0], "id": "viewers-read-raw", "roles": ["role/viewer"], "actions": ["read_raw"],
                  "masks": {}, "condition": None})
    return tampered


def test_a_rule_added_by_hand_is_refused(manifest_path: Path, tmp_path: Path) -> None:
    tampered = _an_allow_rule_added(json.loads(manifest_path.read_text()))
    path = write(tmp_path / "manifest.json", tampered)
    # Without the check the forged rule would be live: the documents are valid and compile.
    document = from_manifest.read_checked(path)
    forged = RuleSet.build(from_manifest.project_from_manifest(path, document), git=from_manifest.git_of(document))
    assert forged.access.verdict(frozenset({"role/viewer"}), "read_raw", "dataset/mentions").allowed
    with pytest.raises(GovernanceLoadError, match=r"does not match its fingerprint .*access/mentions-access") as caught:
        Governance.load(path)
    assert caught.value.diagnostics.has_errors


def test_a_recomputed_node_hash_without_the_fingerprint_is_refused(manifest_path: Path, tmp_path: Path) -> None:
    """Whoever edits the meaning and its hashes but not the fingerprint is refused all the same."""
    manifest = json.loads(manifest_path.read_text())
    tampered = _an_allow_rule_added(manifest)
    path = write(tmp_path / "rehashed.json", tampered)
    document = from_manifest.read_checked(path)
    project = from_manifest.project_from_manifest(path, document)
    compiled = RuleSet.build(project, git=from_manifest.git_of(document)).compiled
    for ref, node in tampered["nodes"].items():
        node.update(data_hash=compiled.data_hash[ref], metadata_hash=compiled.metadata_hash[ref],
                    meaning_hash=compiled.nodes[ref].meaning_hash)
    with pytest.raises(GovernanceLoadError, match="does not match its fingerprint"):
        Governance.load(write(path, tampered))


@pytest.mark.parametrize("edit", ["description", "parents", "children", "kpi_order", "filter"])
def test_other_edits_are_refused(manifest_path: Path, tmp_path: Path, edit: str) -> None:
    manifest = json.loads(manifest_path.read_text())
    kpi = manifest["nodes"]["kpi/brand.customer.net_sentiment"]
    if edit == "description":
        kpi["metadata"]["description"] = "Something else."
    elif edit == "parents":
        kpi["parents"] = kpi["parents"][1:]
    elif edit == "children":
        kpi["children"] = [*kpi["children"], "kpi/brand.customer.mention_volume"]
    elif edit == "kpi_order":
        manifest["kpi_order"] = list(reversed(manifest["kpi_order"]))
    else:
        kpi["meaning"]["filter"] = "entity = 'apexrun'"
    with pytest.raises(GovernanceLoadError, match="manifest refused"):
        Governance.load(write(tmp_path / "manifest.json", manifest))


def test_a_pinned_fingerprint_is_insisted_on(manifest_path: Path, from_repo: Governance) -> None:
    pinned = Governance.from_manifest(manifest_path, fingerprint=from_repo.fingerprint)
    assert pinned.fingerprint == from_repo.fingerprint
    with pytest.raises(GovernanceLoadError, match="is not the pinned"):
        Governance.from_manifest(manifest_path, fingerprint="0" * 64)


def test_another_major_version_is_refused(manifest_path: Path, tmp_path: Path) -> None:
    manifest = json.loads(manifest_path.read_text())
    with pytest.raises(GovernanceLoadError, match=r"manifest_version '2.0.0' is not supported"):
        Governance.load(write(tmp_path / "manifest.json", {**manifest, "manifest_version": "2.0.0"}))
    newer_minor = Governance.load(write(tmp_path / "minor.json", {**manifest, "manifest_version": "1.7.0"}))
    assert newer_minor.fingerprint == manifest["fingerprint"]


@pytest.mark.parametrize("content, message", [
    (b"{not json", "cannot read the manifest"),
    (b"[1, 2]", "manifest_version None is not supported"),
    (b"\xff\xfe{}", "cannot read the manifest"),
])
def test_unreadable_manifests_are_refused(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "manifest.json"
    path.write_bytes(content)
    with pytest.raises(GovernanceLoadError, match=message):
        Governance.load(path)


def test_a_missing_manifest_is_refused(tmp_path: Path) -> None:
    with pytest.raises(GovernanceLoadError, match="cannot read the manifest"):
        Governance.from_manifest(tmp_path / "absent.json")


def test_schema_violations_are_refused_with_where(manifest_path: Path, tmp_path: Path) -> None:
    manifest = json.loads(manifest_path.read_text())
    del manifest["kpi_order"]
    manifest["nodes"]["kpi/brand.customer.net_sentiment"]["data_hash"] = "not-a-hash"
    with pytest.raises(GovernanceLoadError, match=r"not a valid kpigov manifest: .*'kpi_order' is a required property"
                                                  r".*nodes\['kpi/brand.customer.net_sentiment'\].data_hash"):
        Governance.load(write(tmp_path / "manifest.json", manifest))


def test_nodes_that_are_no_document_are_refused(manifest_path: Path, tmp_path: Path) -> None:
    manifest = json.loads(manifest_path.read_text())
    kind = json.loads(json.dumps(manifest))
    kind["nodes"]["kpi/brand.customer.net_sentiment"]["kind"] = "Gadget"
    with pytest.raises(GovernanceLoadError, match="unknown kind 'Gadget'"):
        Governance.load(write(tmp_path / "kind.json", kind))
    prefix = json.loads(json.dumps(manifest))
    prefix["nodes"]["dataset/brand.customer.net_sentiment"] = prefix["nodes"].pop("kpi/brand.customer.net_sentiment")
    with pytest.raises(GovernanceLoadError, match="whose references start with 'kpi/'"):
        Governance.load(write(tmp_path / "prefix.json", prefix))
    field = json.loads(json.dumps(manifest))
    field["nodes"]["kpi/brand.customer.net_sentiment"]["meaning"]["colour"] = "red"
    with pytest.raises(GovernanceLoadError, match="unknown field 'colour'"):
        Governance.load(write(tmp_path / "field.json", field))


# -- reload ---------------------------------------------------------------------------------------------


def test_reload_rereads_the_manifest_and_keeps_the_last_good_rules(tmp_path: Path) -> None:
    repo = copy_example(tmp_path / "repo")
    path = tmp_path / "manifest.json"
    compile_manifest(repo, path)
    gov = Governance.load(path)
    assert gov.check_access("viewer", "read", "kpi/brand.customer.net_sentiment").allowed
    access = repo / "policies" / "access.yaml"
    access.write_text(access.read_text().replace("roles: [role/viewer, role/analyst,", "roles: [role/analyst,"))
    compile_manifest(repo, path)
    report = gov.reload()
    assert report.ok and report.fingerprint == gov.fingerprint == Governance.load(repo).fingerprint
    assert not gov.check_access("viewer", "read", "kpi/brand.customer.net_sentiment").allowed
    good = gov.fingerprint
    write(path, _an_allow_rule_added(json.loads(path.read_text())))
    refused = gov.reload()
    assert not refused.ok and refused.fingerprint == good == gov.fingerprint
    assert any("manifest refused" in d.message for d in gov.problems)
    assert not gov.check_access("viewer", "read_raw", "dataset/mentions").allowed


# -- CLI ------------------------------------------------------------------------------------------------


def test_serve_refuses_a_tampered_manifest_before_listening(manifest_path: Path, tmp_path: Path) -> None:
    path = write(tmp_path / "manifest.json", _an_allow_rule_added(json.loads(manifest_path.read_text())))
    result = CliRunner().invoke(app, ["serve", "--manifest", str(path), "--port", "0"])
    assert result.exit_code == 1 and "manifest refused" in result.output
    pinned = CliRunner().invoke(app, ["serve", "--manifest", str(manifest_path), "--fingerprint", "0" * 64])
    assert pinned.exit_code == 1 and "is not the pinned" in pinned.output
    alone = CliRunner().invoke(app, ["serve", "--fingerprint", "0" * 64])
    assert alone.exit_code == 2 and "Invalid value for --fingerprint" in alone.output
