"""Identifier hygiene and the repository's conventions (kpigov.yaml)."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from confusable_homoglyphs import categories, confusables

from kpigov.diagnostics import Code, Location
from kpigov.project import Project
from kpigov.specs.base import PREFIX_OF_KIND

# Which folder holds which kinds; a document elsewhere is a warning (it still loads).
_FOLDER_KINDS = {
    "kpi_specs": {"KPI", "RetirementDecision"},
    "expectations": {"ExpectationSuite"},
    "policies": {"Dataset", "DedupPolicy", "Lexicon", "EventCalendar", "EscalationPolicy", "RetentionRule",
                 "AccessPolicy", "Team", "Role", "RetirementDecision"},
}


@lru_cache(maxsize=64)
def _pattern(text: str) -> re.Pattern[str]:
    return re.compile(text)


def identifier_problem(ident: str) -> str | None:
    """Why ``ident`` is not a safe identifier (NFKC, confusables, mixed scripts), or None."""
    if ident.isascii():
        return None
    normal = unicodedata.normalize("NFKC", ident)
    if normal != ident:
        return f"'{ident}' is not in NFKC normal form (it normalises to '{normal}')"
    if confusables.is_mixed_script(ident):
        return f"'{ident}' mixes scripts ({', '.join(sorted(_scripts(ident)))})"
    dangerous = confusables.is_confusable(ident, preferred_aliases=["latin"], greedy=False)
    if dangerous:
        char = dangerous[0]["character"]
        return f"'{ident}' contains '{char}' (U+{ord(char):04X}), confusable with Latin letters"
    return None


def _scripts(text: str) -> set[str]:
    return {categories.alias(c) for c in text if c.isalpha()}


def check_identifiers(project: Project) -> None:
    for ref, spec in project.specs.items():
        problem = identifier_problem(spec.id)
        if problem:
            project.diagnostics.error(Code.CONFUSABLE_IDENTIFIER, problem, project.locate(ref, ["metadata", "id"]),
                                      hint="use plain ASCII letters, digits, '.', '_' and '-'")


def check_naming(project: Project) -> None:
    for ref, spec in project.specs.items():
        pattern = project.config.naming_pattern(spec.KIND)
        if not _pattern(pattern).match(spec.id):
            project.diagnostics.error(Code.NAMING_CONVENTION, f"{spec.KIND} id '{spec.id}' does not match the naming "
                                      f"convention {pattern}", project.locate(ref, ["metadata", "id"]))


def check_required_metadata(project: Project) -> None:
    required_tags = project.config.spec.required_tags
    required_meta = project.config.spec.required_metadata
    for ref, spec in project.specs.items():
        meta = spec.metadata
        for tag in required_tags.get(spec.KIND, []):
            if tag not in meta.tags:
                where = ["metadata", "tags"] if meta.tags else ["metadata"]
                project.diagnostics.error(Code.MISSING_TAG, f"{spec.KIND} '{spec.id}' lacks the required tag '{tag}'",
                                          project.locate(ref, where))
        for name in required_meta.get(spec.KIND, []):
            if not getattr(meta, name):
                project.diagnostics.error(Code.MISSING_METADATA, f"{spec.KIND} '{spec.id}' lacks metadata.{name}, "
                                          "required by kpigov.yaml", project.locate(ref, ["metadata"]))
        if meta.owner is not None and meta.owner not in project.specs:
            project.diagnostics.error(Code.UNKNOWN_OWNER, f"owner '{meta.owner}' is not a declared Team",
                                      project.locate(ref, ["metadata", "owner"]))


def check_placement(project: Project) -> None:
    for ref, spec in project.specs.items():
        doc = project.sources[ref]
        folder = doc.path.split("/", 1)[0]
        allowed = _FOLDER_KINDS.get(folder)
        if allowed is not None and spec.KIND not in allowed:
            project.diagnostics.warning(Code.FILE_PLACEMENT, f"{spec.KIND} documents belong in "
                                        f"{_home(spec.KIND)}/, not {folder}/", Location.from_mark(doc.path, doc.node.start_mark))


def _home(kind: str) -> str:
    return next(folder for folder, kinds in _FOLDER_KINDS.items() if kind in kinds)


__all__ = ["check_identifiers", "check_naming", "check_required_metadata", "check_placement", "identifier_problem",
           "PREFIX_OF_KIND"]
