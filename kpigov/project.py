"""A governance repository, loaded: typed specs by reference, their sources, and all diagnostics.

``load(path)`` runs the whole front end: discover files → hardened YAML loading → typed specs →
semantic checks. It never raises for bad input: every problem is a diagnostic on the result.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Iterator, Sequence, TypeVar

from kpigov.diagnostics import Code, Diagnostic, Diagnostics, Location, Severity
from kpigov.loader import Document, Limits, LoadedFile, discover, load_file
from kpigov.specs import KINDS, KPI, Config, Envelope, parse_config, parse_document
from kpigov.specs.base import PREFIX_OF_KIND

CONFIG_FILE = "kpigov.yaml"
SPEC_FOLDERS = ("kpi_specs", "policies", "expectations")

SpecT = TypeVar("SpecT", bound=Envelope)


@dataclass
class Project:
    """The loaded governance repository: every valid spec keyed by its reference (``kind/id``)."""

    root: Path
    config: Config
    specs: dict[str, Envelope] = field(default_factory=dict)
    sources: dict[str, Document] = field(default_factory=dict)
    files: list[LoadedFile] = field(default_factory=list)
    diagnostics: Diagnostics = field(default_factory=Diagnostics)

    @property
    def ok(self) -> bool:
        return not self.diagnostics.has_errors

    def get(self, ref: str) -> Envelope | None:
        return self.specs.get(ref)

    def of_kind(self, kind: type[SpecT]) -> Iterator[SpecT]:
        prefix = PREFIX_OF_KIND[kind.KIND] + "/"
        for ref, spec in self.specs.items():
            if ref.startswith(prefix):
                yield spec  # type: ignore[misc]

    @property
    def kpis(self) -> list[KPI]:
        return list(self.of_kind(KPI))

    @classmethod
    def from_documents(cls, root: Path, config: Config, documents: Iterable[Document]) -> Project:
        """A project of documents that were not read from files here (a manifest's, rebuilt in memory).

        Each document is typed as :func:`load` types a file's; the semantic checks are the caller's
        to run (``kpigov.validate``), since some of them need the repository's files and config.
        """
        project = cls(root, config)
        _add_documents(project, documents)
        return project

    def locate(self, ref: str, path: Sequence[str | int] = (), *, key: bool = False) -> Location:
        """Where in the source the value at ``path`` of the spec ``ref`` was written."""
        return self.sources[ref].locate(path, key=key)

    def locate_in(self, ref: str, path: Sequence[str | int], offset: int) -> Location:
        return self.sources[ref].locate_in_scalar(path, offset)


def _add_documents(project: Project, documents: Iterable[Document]) -> None:
    """Type each document and key it by reference; a second document with a taken id is an error."""
    diagnostics = project.diagnostics
    for doc in documents:
        spec, found = parse_document(doc)
        diagnostics.extend(found)
        if spec is None:
            continue
        ref = spec.ref
        if ref in project.specs:
            first = project.sources[ref]
            diagnostics.error(Code.DUPLICATE_ID, f"{spec.KIND} id '{spec.id}' is already defined at {first.locate(['metadata', 'id'])}",
                              doc.locate(["metadata", "id"]))
            continue
        project.specs[ref] = spec
        project.sources[ref] = doc


def _load_config(root: Path, diagnostics: Diagnostics) -> Config:
    default = Config(apiVersion="kpigov/v1", kind="Config")
    path = root / CONFIG_FILE
    if not path.exists():
        return default
    loaded = load_file(root, path)
    diagnostics.extend(loaded.diagnostics)
    if len(loaded.documents) != 1:
        if not loaded.diagnostics:
            diagnostics.error(Code.CONFIG_INVALID, f"{CONFIG_FILE} must hold exactly one document", Location(CONFIG_FILE, 1, 1))
        return default
    config, found = parse_config(loaded.documents[0])
    diagnostics.extend(found)
    return config or default


def load(path: str | Path, *, checks: bool = True, files: Sequence[Path] | None = None) -> Project:
    """Load and validate the governance repository at ``path``.

    ``checks=False`` stops after typed parsing (used by tools that only need the specs);
    ``files`` restricts loading to those files (paths inside the repository).
    """
    root = Path(path).resolve()
    diagnostics = Diagnostics()
    if not root.is_dir():
        diagnostics.error(Code.FILE_UNREADABLE, "not a directory", Location(str(path)))
        return Project(root, Config(apiVersion="kpigov/v1", kind="Config"), diagnostics=diagnostics)
    config = _load_config(root, diagnostics)
    limits = Limits(max_file_bytes=config.spec.max_file_bytes, max_depth=config.spec.max_depth)
    project = Project(root, config, diagnostics=diagnostics)
    for file in files if files is not None else discover(root, SPEC_FOLDERS):
        loaded = load_file(root, file, limits)
        project.files.append(loaded)
        diagnostics.extend(loaded.diagnostics)
        _add_documents(project, loaded.documents)
    if checks:
        from kpigov.validate import run_checks

        run_checks(project)
    return project


__all__ = ["Project", "load", "CONFIG_FILE", "SPEC_FOLDERS", "KINDS", "Diagnostic", "Severity"]
