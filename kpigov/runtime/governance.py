"""The in-process governance API: compile a repository (or load a compiled manifest) once, then
answer access, retention, routing and KPI questions many times.

Everything a query needs lives in one immutable :class:`RuleSet`. :meth:`Governance.reload` builds
a complete new rule set from the repository and swaps the single reference to it; queries read
that reference once, so each sees either the old rules or the new ones, never a mix. A repository
with errors leaves the last good rules active and its diagnostics in :attr:`Governance.problems`.

The rules come from a repository or from the manifest CI compiled it into
(:meth:`Governance.from_manifest`, :mod:`kpigov.runtime.manifest`): the same documents, the same
:meth:`RuleSet.build`, so both answer every query alike.
"""

from __future__ import annotations

import itertools
import secrets
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import kpigov
from kpigov.compiler import CompileError, Compiled, compile_project
from kpigov.compiler.explain import explain
from kpigov.compiler.gitrepo import GitState
from kpigov.diagnostics import Diagnostics, Location, Severity
from kpigov.runtime.access import CompiledRule, Decision, RuleTable, on_row
from kpigov.runtime.errors import AccessDeniedError, GovernanceError, GovernanceLoadError, UnknownResourceError
from kpigov.runtime.kpis import KpiAnswer, LineagePointer, caveats, last_value
from kpigov.runtime.principals import Principal, RoleDirectory
from kpigov.runtime.retention import Retention, RetentionIndex
from kpigov.specs import KPI
from kpigov.specs.data import Dataset
from kpigov.specs.org import Role, Team
from kpigov.specs.policy import AccessPolicy, EscalationPolicy, RetentionRule
from kpigov.validate.kpis import dataset_columns

if TYPE_CHECKING:
    from kpigov.evaluate.alerts import Alert, RoutedAlert
    from kpigov.runtime.reads import MaskedRows, MentionQuery
    from kpigov.store import Store

#: ``flagged`` logs decisions made by rules with ``log: true``; ``all`` logs every decision.
AuditMode = Literal["off", "flagged", "all"]
AUDIT_ACTOR = "kpigov runtime"


@dataclass(frozen=True)
class RuleSet:
    """One compiled repository: every lookup structure the queries use, built together."""

    fingerprint: str
    access: RuleTable
    roles: RoleDirectory
    retention: RetentionIndex
    escalation_of: Mapping[str, EscalationPolicy]
    columns: Mapping[str, Mapping[str, str]]
    kpi_locations: Mapping[str, Location]
    compiled: Compiled
    namespace: str

    @classmethod
    def build(cls, project: kpigov.Project, *, git: GitState | None = None) -> RuleSet:
        """Raises :class:`GovernanceLoadError` when the project has errors or does not compile.

        ``git`` is the repository's Git state when it is known without asking Git (a manifest's).
        """
        if not project.ok:
            errors = [d for d in project.diagnostics if d.severity is Severity.ERROR]
            raise GovernanceLoadError(f"{project.root} has {len(errors)} error(s), first: {errors[0]}", project.diagnostics)
        try:
            compiled = compile_project(project, git=git)
        except CompileError as error:
            raise GovernanceLoadError(f"{project.root} does not compile: {error}", project.diagnostics) from None
        datasets = list(project.of_kind(Dataset))
        columns = {d.ref: dataset_columns(d) for d in datasets}
        rules = [CompiledRule.from_spec(policy.ref, rule, project.locate(policy.ref, ["spec", "rules", i]))
                 for policy in project.of_kind(AccessPolicy) for i, rule in enumerate(policy.spec.rules)]
        retention_rules = [(r, project.locate(r.ref, ["metadata", "id"])) for r in project.of_kind(RetentionRule)]
        escalation_of: dict[str, EscalationPolicy] = {}
        for kpi in project.kpis:
            policy = project.get(kpi.spec.escalation) if kpi.spec.escalation else None
            if isinstance(policy, EscalationPolicy):
                escalation_of[kpi.id] = policy
        return cls(
            fingerprint=compiled.fingerprint,
            access=RuleTable(rules, {ref: list(cols) for ref, cols in columns.items()}),
            roles=RoleDirectory(project.of_kind(Role), project.of_kind(Team)),
            retention=RetentionIndex(retention_rules, datasets),
            escalation_of=escalation_of,
            columns=columns,
            kpi_locations={k.id: project.locate(k.ref, ["metadata", "id"]) for k in project.of_kind(KPI)},
            compiled=compiled,
            namespace=project.config.spec.lineage.namespace,
        )


@dataclass(frozen=True)
class ReloadReport:
    """What a reload did: ``ok`` when the new rules are active, else why the old ones were kept."""

    ok: bool
    fingerprint: str
    diagnostics: Diagnostics


@dataclass(frozen=True)
class _ManifestSource:
    """Where a manifest-loaded Governance reloads from, and what it was asked to insist on."""

    path: Path
    fingerprint: str | None
    namespace: str | None

    def rules(self) -> tuple[RuleSet, Diagnostics]:
        """Read, check, rebuild and verify the manifest; raises :class:`GovernanceLoadError`."""
        from kpigov.runtime import manifest as from_manifest

        document = from_manifest.read_checked(self.path)
        project = from_manifest.project_from_manifest(self.path, document, namespace=self.namespace)
        rules = RuleSet.build(project, git=from_manifest.git_of(document))
        from_manifest.verify(self.path, document, rules.compiled, self.fingerprint)
        return rules, project.diagnostics


class Governance:
    """Compiled governance of one repository (or of its manifest), safe to query from many threads."""

    def __init__(self, root: Path, rules: RuleSet, *, store: Store | None = None, audit: AuditMode | None = None,
                 audit_key: bytes | None = None, manifest: _ManifestSource | None = None) -> None:
        mode: AuditMode = audit if audit is not None else ("flagged" if store is not None else "off")
        if mode != "off" and store is None:
            raise GovernanceError(f"audit mode '{mode}' needs a store to write the audit trail to")
        self.root = root
        self._manifest = manifest
        self.store = store
        self.audit_mode = mode
        self._audit_key = audit_key
        self._rules = rules
        self._problems = Diagnostics()
        self._reload_lock = threading.Lock()
        self._ids = itertools.count(1)
        self._id_prefix = secrets.token_hex(4)

    @classmethod
    def load(cls, path: str | Path, *, store: Store | None = None, audit: AuditMode | None = None,
             audit_key: bytes | None = None) -> Governance:
        """Load, validate and compile the repository at ``path``; raises :class:`GovernanceLoadError`.

        A ``path`` that is a manifest file (``.json``, or JSON naming a ``manifest_version``) is
        loaded with :meth:`from_manifest`.
        """
        from kpigov.runtime.manifest import is_manifest

        if is_manifest(path):
            return cls.from_manifest(path, store=store, audit=audit, audit_key=audit_key)
        project = kpigov.load(path)
        return cls(project.root, RuleSet.build(project), store=store, audit=audit, audit_key=audit_key)

    @classmethod
    def from_manifest(cls, path: str | Path, *, fingerprint: str | None = None, namespace: str | None = None,
                      store: Store | None = None, audit: AuditMode | None = None,
                      audit_key: bytes | None = None) -> Governance:
        """Governance from the manifest ``kpigov compile`` wrote, without the repository.

        The manifest must be valid against its schema, of this major version, and reproduce its own
        fingerprint and node entries when its documents are recompiled; ``fingerprint`` pins the one
        CI approved. ``namespace`` is the OpenLineage namespace of kpigov.yaml, which the manifest does
        not carry (default ``kpigov``). Raises :class:`GovernanceLoadError`.
        """
        source = _ManifestSource(Path(path).resolve(), fingerprint, namespace)
        rules, _ = source.rules()
        return cls(source.path, rules, store=store, audit=audit, audit_key=audit_key, manifest=source)

    # -- lifecycle ----------------------------------------------------------------------------

    @property
    def fingerprint(self) -> str:
        return self._rules.fingerprint

    @property
    def problems(self) -> Diagnostics:
        """Why the last reload was refused (empty after a successful one)."""
        return self._problems

    def reload(self) -> ReloadReport:
        """Recompile the repository (re-read the manifest); swap the rules in only when it is free of errors."""
        with self._reload_lock:
            try:
                if self._manifest is not None:
                    rules, diagnostics = self._manifest.rules()
                else:
                    project = kpigov.load(self.root)
                    diagnostics = project.diagnostics
                    rules = RuleSet.build(project)
            except GovernanceLoadError as error:
                self._problems = error.diagnostics
                return ReloadReport(False, self._rules.fingerprint, error.diagnostics)
            self._rules = rules
            self._problems = Diagnostics()
            return ReloadReport(True, rules.fingerprint, diagnostics)

    # -- access -------------------------------------------------------------------------------

    def check_access(self, principal: Principal, action: str, resource: str, *,
                     row: Mapping[str, Any] | None = None) -> Decision:
        """May ``principal`` do ``action`` on ``resource`` (on ``row``, when given)? Default deny."""
        decision = self._decide(self._rules, principal, action, resource, row)
        if self.audit_mode == "all" or (self.audit_mode == "flagged" and decision.verdict.log):
            self._log([(principal, decision, row)])
        return decision

    def check_many(self, requests: Iterable[tuple[Principal, str, str]]) -> list[Decision]:
        """Many decisions against one rule set (a reload mid-batch does not split it); logged in one append."""
        rules = self._rules
        decisions = [(principal, self._decide(rules, principal, action, resource, None), None)
                     for principal, action, resource in requests]
        logged = [entry for entry in decisions
                  if self.audit_mode == "all" or (self.audit_mode == "flagged" and entry[1].verdict.log)]
        if logged:
            self._log(logged)
        return [decision for _, decision, _ in decisions]

    def read_mentions(self, principal: Principal, query: MentionQuery | None = None) -> MaskedRows:
        """Rows of the mention table ``principal`` may see, masked in SQL; raises :class:`AccessDeniedError`."""
        from kpigov.runtime.reads import MentionQuery, read

        query = query or MentionQuery()
        if self.store is None:
            raise GovernanceError("read_mentions needs a store: Governance.load(path, store=...)")
        rules = self._rules
        declared = rules.columns.get(query.dataset)
        if declared is None:
            raise UnknownResourceError(f"'{query.dataset}' is not a declared dataset")
        decision = self._decide(rules, principal, query.action, query.dataset, None)
        if self.audit_mode == "all" or (self.audit_mode == "flagged" and decision.verdict.log):
            self._log([(principal, decision, None)])
        if not decision.allowed:
            raise AccessDeniedError(decision)
        return read(self.store, declared, decision, query)

    def _decide(self, rules: RuleSet, principal: Principal, action: str, resource: str,
                row: Mapping[str, Any] | None) -> Decision:
        roles = rules.roles.resolve(principal)
        verdict = rules.access.verdict(roles, action, resource)
        if row is not None:
            verdict = on_row(verdict, row)
        return Decision(verdict, roles, action, resource, f"{self._id_prefix}-{next(self._ids)}")

    def _log(self, entries: list[tuple[Principal, Decision, Mapping[str, Any] | None]]) -> None:
        from kpigov.lineage import AuditKind, AuditLog, AuditRecord, mask

        assert self.store is not None  # guaranteed by __init__ for every mode but "off"
        rules = self._rules
        records = []
        for principal, decision, row in entries:
            payload: dict[str, Any] = {**decision.to_json(), "principal": _principal_text(principal)}
            sensitive = ["row"]
            if row is not None:
                payload["row"] = dict(row)
            if any(rules.roles.is_contact(name) for name in _principal_names(principal)):
                sensitive.append("principal")
            records.append(AuditRecord(AuditKind.ACCESS_DECISION, decision.resource[:256],
                                       mask(payload, sensitive, key=self._audit_key), AUDIT_ACTOR))
        AuditLog(self.store).append_many(records)

    # -- retention, routing, KPIs ---------------------------------------------------------------

    def retention(self, subject: str) -> Retention:
        """Retention of a data class, ``dataset/<id>:<column>`` / ``<id>.<column>``, or a dataset."""
        return self._rules.retention.lookup(subject)

    def route(self, alert: Alert, raised_at: datetime | None = None) -> RoutedAlert | None:
        """Escalation tiers for ``alert`` under its KPI's policy; None when the policy does not cover it."""
        from kpigov.evaluate.alerts import route

        rules = self._rules
        if f"kpi/{alert.kpi_id}" not in rules.compiled.nodes:
            raise UnknownResourceError(f"alert names an unknown KPI '{alert.kpi_id}'")
        policy = rules.escalation_of.get(alert.kpi_id)
        if policy is None:
            return None
        return route(alert, policy, raised_at or datetime.now(UTC).replace(tzinfo=None))

    def kpi(self, kpi_id: str) -> KpiAnswer:
        """Definition, status, last value (with a store) and lineage pointer of one KPI."""
        from kpigov.lineage.naming import kpi_job_name

        rules = self._rules
        kpi_id = kpi_id.removeprefix("kpi/")
        ref = f"kpi/{kpi_id}"
        node = rules.compiled.nodes.get(ref)
        if node is None:
            raise UnknownResourceError(f"'{kpi_id}' is not a KPI of this repository")
        last = last_value(self.store, kpi_id) if self.store is not None else None
        status = node.meaning["status"]
        return KpiAnswer(
            id=kpi_id, version=node.version, status=status, owner=node.metadata.get("owner"),
            definition=explain(rules.compiled, ref), location=rules.kpi_locations[kpi_id],
            fingerprint=rules.compiled.data_hash[ref], last=last,
            lineage=LineagePointer(rules.namespace, kpi_job_name(kpi_id), last.run_id if last else None),
            caveats=caveats(status, last, self.store is not None))

    def explain(self, kpi_id: str) -> str:
        """:meth:`kpi` in plain words."""
        return self.kpi(kpi_id).to_text()


def _principal_names(principal: Principal) -> list[str]:
    return [principal] if isinstance(principal, str) else sorted(principal)


def _principal_text(principal: Principal) -> str | list[str]:
    return principal if isinstance(principal, str) else sorted(principal)


__all__ = ["AUDIT_ACTOR", "AuditMode", "Governance", "ReloadReport", "RuleSet"]
