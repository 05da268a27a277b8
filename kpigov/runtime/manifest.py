"""Governance from a compiled manifest: the compiler's resolve stage run backwards, then checked.

A pipeline deployed without the governance repository holds only the manifest CI wrote
(``kpigov compile``). Every node of it carries its canonical *meaning* and *metadata*
(:mod:`kpigov.compiler.resolve`), which is everything its spec document said, rearranged:

- KPI ``footnotes``, dataset column and suite expectation ``description``s and a role's
  ``description`` were moved into metadata (``footnotes``, ``column_descriptions``,
  ``expectation_descriptions``, ``role_description``): they are put back;
- band thresholds were re-rendered from their float (``>= 1e-05``); they are written back as
  decimals the band grammar reads (``>= 0.00001``), which canonicalise to the same text;
- expressions, sorted lists and written-out defaults are valid spec input as they are.

The documents are typed and checked like files (:meth:`kpigov.Project.from_documents`), then compiled
by the same :meth:`~kpigov.runtime.RuleSet.build` a repository goes through. The manifest is trusted
only if recompiling what it says reproduces it: its ``fingerprint`` and every node entry (hashes,
parents, children) and ``kpi_order``. A hand-edited manifest is refused, never loaded with rules
that differ from what CI fingerprinted. The fingerprint is a hash, not a signature: whoever can
rewrite the file can recompute it, so pin the fingerprint CI approved (``fingerprint=``) where that
matters.

Locations of manifest rules name the file they were written in (``policies/access.yaml``); line
and column are not in the manifest and are left unknown (0), never invented.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jsonschema import Draft202012Validator
from ruamel.yaml.nodes import MappingNode

from kpigov import __version__
from kpigov.compiler.gitrepo import GitState
from kpigov.compiler.manifest import MANIFEST_SCHEMA, ManifestError, build_manifest, read_manifest
from kpigov.diagnostics import Code, Diagnostic, Diagnostics, Location
from kpigov.loader import Document
from kpigov.project import Project
from kpigov.runtime.errors import GovernanceLoadError
from kpigov.specs import API_VERSION, KINDS, Config, split_reference
from kpigov.specs.base import PREFIX_OF_KIND
from kpigov.validate import CHECKS

if TYPE_CHECKING:
    from kpigov.compiler import Compiled

#: Checks a manifest cannot be put through: naming and required metadata are kpigov.yaml rules the
#: manifest does not carry, and placement is about the repository's folders. CI ran them on the files.
REPOSITORY_ONLY_CHECKS = frozenset({"naming", "required-metadata", "placement"})

#: How many schema violations an error message lists.
_SHOWN = 5

_VALIDATOR = Draft202012Validator(MANIFEST_SCHEMA)


def is_manifest(path: str | Path) -> bool:
    """A file ending in ``.json``, or any file whose start names a ``manifest_version``: not a repository."""
    path = Path(path)
    if not path.is_file():
        return False
    if path.suffix.lower() == ".json":
        return True
    try:
        with path.open("rb") as handle:
            head = handle.read(256)
    except OSError:
        return False
    return head.lstrip().startswith(b"{") and b'"manifest_version"' in head


class ManifestDocument(Document):
    """A spec document rebuilt from a manifest: it knows its file, not where in it anything was written.

    Every location is the file alone (line and column 0, printed as just the path).
    """

    def __init__(self, path: str, index: int, data: dict[str, Any]) -> None:
        super().__init__(path, index, data, MappingNode("tag:yaml.org,2002:map", []))

    @property
    def start(self) -> Location:
        return Location(self.path)

    def locate(self, loc: Any, *, key: bool = False) -> Location:
        return Location(self.path)

    def locate_in_scalar(self, loc: Any, offset: int) -> Location:
        return Location(self.path)

    def scalar_text(self, loc: Any) -> str | None:
        return None


# -- reading -------------------------------------------------------------------------------------


def read_checked(path: Path) -> dict[str, Any]:
    """The manifest at ``path``: readable JSON, a supported major version, valid against its schema."""
    try:
        manifest = read_manifest(path)
    except ManifestError as error:
        raise _error(path, str(error).removeprefix(f"{path}: "), Code.FILE_UNREADABLE) from None
    problems = sorted(_VALIDATOR.iter_errors(manifest), key=lambda e: list(e.absolute_path))
    if problems:
        shown = "; ".join(f"{p.json_path}: {p.message}" for p in problems[:_SHOWN])
        more = f" (and {len(problems) - _SHOWN} more)" if len(problems) > _SHOWN else ""
        raise _error(path, f"not a valid kpigov manifest: {shown}{more}")
    return manifest


def _error(path: Path, message: str, code: Code = Code.INVALID_VALUE) -> GovernanceLoadError:
    """The error, with the one diagnostic that says it (located at the manifest file)."""
    diagnostics = Diagnostics()
    diagnostics.add(Diagnostic(code, message, Location(str(path))))
    return GovernanceLoadError(f"{path}: {message}", diagnostics)


# -- the inverse of the resolve stage ------------------------------------------------------------


def _decimal(number: str) -> str:
    """``1e-05`` -> ``0.00001``: the band grammar reads decimals only; the value (a float) is the same."""
    try:
        return format(Decimal(number), "f")
    except InvalidOperation:
        return number  # not a number: the spec model refuses it with its own message


def _band_text(text: str) -> str:
    parts = text.split(" ")
    if len(parts) == 4 and parts[0] == "between" and parts[2] == "and":
        return f"between {_decimal(parts[1])} and {_decimal(parts[3])}"
    if len(parts) == 2:
        return f"{parts[0]} {_decimal(parts[1])}"
    return text


def _with_descriptions(items: Any, descriptions: Any) -> Any:
    """Put each item's ``description`` back (metadata keyed it by the item's name, else its id)."""
    if not isinstance(items, list) or not isinstance(descriptions, dict):
        return items
    restored = []
    for item in items:
        if isinstance(item, dict):
            text = descriptions.get(str(item.get("name", item.get("id"))))
            if text is not None:
                item = {**item, "description": text}
        restored.append(item)
    return restored


#: Per kind: metadata key the resolve stage moved out of the spec, and how to put it back.
_MOVED = {"KPI": "footnotes", "Dataset": "column_descriptions", "ExpectationSuite": "expectation_descriptions",
          "Role": "role_description"}


def spec_document(ref: str, node: Mapping[str, Any]) -> dict[str, Any]:
    """The spec document (``apiVersion``, ``kind``, ``metadata``, ``spec``) a manifest node was compiled from.

    Never mutates ``node``. Values that are not what the compiler writes are passed on unchanged,
    for the spec models to refuse with their own diagnostics.
    """
    kind = node["kind"]
    spec = dict(node["meaning"])
    metadata = dict(node["metadata"])
    moved = metadata.pop(_MOVED[kind], None) if kind in _MOVED else None
    if kind == "KPI":
        if moved:
            spec["footnotes"] = moved
        if isinstance(spec.get("bands"), dict):
            spec["bands"] = {name: _band_text(text) if isinstance(text, str) else text
                             for name, text in spec["bands"].items()}
    elif kind == "Dataset":
        spec["columns"] = _with_descriptions(spec.get("columns"), moved)
    elif kind == "ExpectationSuite":
        spec["expectations"] = _with_descriptions(spec.get("expectations"), moved)
    elif kind == "Role" and moved is not None:
        spec["description"] = moved
    metadata["id"] = split_reference(ref)[1]
    return {"apiVersion": API_VERSION, "kind": kind, "metadata": metadata, "spec": spec}


def _documents(manifest: Mapping[str, Any]) -> Iterator[ManifestDocument]:
    """One document per node, numbered in its file by reference (document order is in no hash)."""
    index: dict[str, int] = {}
    for ref, node in sorted(manifest["nodes"].items()):
        kind, file = node["kind"], node["file"]
        prefix = PREFIX_OF_KIND.get(kind)
        if kind not in KINDS or prefix is None:
            raise ValueError(f"node '{ref}' is of unknown kind '{kind}'")
        if split_reference(ref)[0] != prefix:
            raise ValueError(f"node '{ref}' is a {kind}, whose references start with '{prefix}/'")
        index[file] = index.get(file, -1) + 1
        yield ManifestDocument(file, index[file], spec_document(ref, node))


def _config(manifest: Mapping[str, Any], namespace: str | None) -> Config:
    """kpigov.yaml as far as the manifest carries it (approvers, legal retention limits)."""
    spec: dict[str, Any] = dict(manifest["policy"])
    if namespace is not None:
        spec["lineage"] = {"namespace": namespace}
    return Config.model_validate({"apiVersion": API_VERSION, "kind": "Config", "spec": spec})


def project_from_manifest(path: Path, manifest: Mapping[str, Any], *, namespace: str | None = None) -> Project:
    """The project a manifest describes, typed and semantically checked; raises :class:`GovernanceLoadError`."""
    try:
        config = _config(manifest, namespace)
        project = Project.from_documents(path, config, _documents(manifest))
    except ValueError as error:  # a node of no known kind, or a policy kpigov.yaml would refuse (pydantic's too)
        raise _error(path, f"cannot rebuild the governance documents: {error}") from None
    for name, check in CHECKS.items():
        if name in REPOSITORY_ONLY_CHECKS:
            continue
        try:
            check(project)
        except Exception as exc:  # as kpigov.validate.run_checks: a bug in one check must not hide the others
            project.diagnostics.add(Diagnostic(Code.INTERNAL, f"check '{name}' failed: {type(exc).__name__}: {exc}",
                                               Location(str(path))))
    return project


def git_of(manifest: Mapping[str, Any]) -> GitState:
    git = manifest["git"]
    return GitState(git["commit"], git["dirty"])


# -- verification --------------------------------------------------------------------------------


def verify(path: Path, manifest: Mapping[str, Any], compiled: Compiled, pinned: str | None) -> None:
    """Refuse unless recompiling the rebuilt documents reproduced ``manifest`` (and its pinned fingerprint)."""
    claimed = manifest["fingerprint"]
    if pinned is not None and claimed != pinned:
        _refuse(path, f"its fingerprint {claimed[:12]} is not the pinned {pinned[:12]}")
    if compiled.fingerprint != claimed:
        compiled_by = manifest["kpigov_version"]
        hint = ("" if compiled_by == __version__ else
                f"; it was compiled by kpigov {compiled_by}, this is {__version__}: recompile it with this version")
        changed = ", ".join(_changed_nodes(manifest, compiled))
        where = f" (nodes whose meaning or metadata no longer match their hashes: {changed})" if changed else ""
        _refuse(path, f"its content does not match its fingerprint {claimed[:12]} (recomputed "
                      f"{compiled.fingerprint[:12]}){where}: it was edited after it was compiled{hint}")
    rebuilt = build_manifest(compiled)
    for ref, entry in manifest["nodes"].items():
        again = rebuilt["nodes"].get(ref, {})
        for name, value in entry.items():
            if name == "parents":  # a parent's 'why' lists reasons in the order written, which sorting lost
                value, now = [p["ref"] for p in value], [p["ref"] for p in again.get(name, [])]
            else:
                now = again.get(name)
            if now != value:
                _refuse(path, f"node '{ref}': '{name}' is not what its documents compile to: "
                              "it was edited after it was compiled")
    for name in ("kpi_order", "policy"):
        if rebuilt[name] != manifest[name]:
            _refuse(path, f"'{name}' is not what its documents compile to: it was edited after it was compiled")


def _changed_nodes(manifest: Mapping[str, Any], compiled: Compiled) -> list[str]:
    """Nodes whose own meaning or metadata differ from what was hashed (as far as the stored hashes tell).

    Only the meaning hash is stored unfolded; a metadata hash folds the parents' in, so a node counts
    as changed when its folded hash differs and none of its parents' does.
    """
    stored = manifest["nodes"]

    def metadata_differs(ref: str) -> bool:
        return ref in stored and compiled.metadata_hash[ref] != stored[ref]["metadata_hash"]

    def own_metadata_differs(ref: str) -> bool:
        return metadata_differs(ref) and not any(map(metadata_differs, compiled.parents[ref]))

    changed = [ref for ref, node in compiled.nodes.items()
               if ref in stored and (node.meaning_hash != stored[ref]["meaning_hash"] or own_metadata_differs(ref))]
    return sorted(changed)[:_SHOWN]


def _refuse(path: Path, why: str) -> None:
    raise _error(path, f"manifest refused: {why}")


__all__ = ["REPOSITORY_ONLY_CHECKS", "ManifestDocument", "git_of", "is_manifest", "project_from_manifest",
           "read_checked", "spec_document", "verify"]
