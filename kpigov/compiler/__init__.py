"""The compiler: a validated project -> dependency graph, evaluation order, fingerprinted manifest.

    compiled = compile_project(kpigov.load(path))      # or: compiled, project = compile_repo(path)
    compiled.graph          networkx.DiGraph of refs, edges parent -> child with a 'why'
    compiled.kpi_order      KPI refs in evaluation order (derived KPIs after their inputs)
    compiled.manifest       JSON-ready dict (schema: MANIFEST_SCHEMA, docs/compiler.md)
    compiled.fingerprint    hex digest of the whole repository's meaning and metadata
    compiled.node(ref)      the CompiledNode (frozen; never the pydantic spec)

Stages (:data:`STAGES`): resolve -> conventions -> graph -> cycles -> fingerprint -> manifest.
Errors: :class:`CompileError` (the reasons are diagnostics in ``project.diagnostics``);
:class:`GitError` for git failures; :class:`ManifestError` for unreadable manifests.
"""

from kpigov.compiler.cache import CACHE_DIR, compile_repo
from kpigov.compiler.compiled import Compiled, compile_project
from kpigov.compiler.gitrepo import GitError, GitState
from kpigov.compiler.manifest import MANIFEST_SCHEMA, MANIFEST_VERSION, ManifestError, read_manifest, write_manifest
from kpigov.compiler.nodes import CompiledNode, Edge
from kpigov.compiler.stages import STAGES, CompileError

__all__ = [
    "CACHE_DIR", "MANIFEST_SCHEMA", "MANIFEST_VERSION", "STAGES", "CompileError", "Compiled", "CompiledNode", "Edge",
    "GitError", "GitState", "ManifestError", "compile_project", "compile_repo", "read_manifest", "write_manifest",
]
