"""Property-based tests: no input crashes the loader or the validator; every outcome is a diagnostic."""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kpigov.diagnostics import Diagnostic
from kpigov.loader import Document, load_text
from kpigov.specs import parse_document

ROOT = Path(__file__).resolve().parents[1]
SEEDS = [p.read_bytes() for p in sorted((ROOT / "kpi_specs").rglob("*.yaml"))[:6]] + \
        [p.read_bytes() for p in sorted((ROOT / "policies").rglob("*.yaml"))[:6]]
SPECIAL = [b"&", b"*", b"<<", b"!!", b"\x00", b"\xff", b"\xef\xbb\xbf", "\u202e".encode(), b"[", b"{", b"\t",
           b"---\n", b"? ", b": ", b"- ", b"'", b'"', b"#", b"%YAML 1.1\n", b"!!python/object:os.system "]


def _front_end(content: bytes) -> list[Diagnostic]:
    loaded = load_text("fuzz.yaml", content)
    found = list(loaded.diagnostics)
    for doc in loaded.documents:
        assert isinstance(doc, Document)
        _, diagnostics = parse_document(doc)
        found.extend(diagnostics)
        for d in diagnostics:
            assert d.location.path == "fuzz.yaml" and d.location.line >= 1 and d.location.column >= 1
    return found


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=600))
def test_random_bytes_never_crash(content: bytes) -> None:
    _front_end(content)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(alphabet=st.sampled_from(list("ab: -[]{},&*!<>?'\"#\n\t|>%@`~\\0123456789.") + ["\u202e", "\ufeff", "é"]),
               max_size=300))
def test_yaml_ish_text_never_crashes(text: str) -> None:
    _front_end(text.encode("utf-8"))


@st.composite
def mutated_specs(draw: st.DrawFn) -> bytes:
    content = bytearray(draw(st.sampled_from(SEEDS)))
    for _ in range(draw(st.integers(1, 4))):
        op = draw(st.sampled_from(["delete", "insert", "replace", "duplicate-line"]))
        pos = draw(st.integers(0, max(len(content) - 1, 0)))
        if op == "delete" and content:
            del content[pos:pos + draw(st.integers(1, 20))]
        elif op == "insert":
            content[pos:pos] = draw(st.sampled_from(SPECIAL))
        elif op == "replace" and content:
            content[pos] = draw(st.integers(0, 255))
        else:
            lines = bytes(content).split(b"\n")
            i = draw(st.integers(0, len(lines) - 1))
            lines.insert(i, lines[i])
            content = bytearray(b"\n".join(lines))
    return bytes(content)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_specs())
def test_mutated_specs_give_diagnostics_not_crashes(content: bytes) -> None:
    _front_end(content)


def test_positions_are_one_based_and_exact() -> None:
    loaded = load_text("x.yaml", b"apiVersion: kpigov/v1\nkind: Team\nmetadata:\n  id: t\n  tags: [a, 'b']\n")
    doc = loaded.documents[0]
    assert str(doc.locate(["metadata", "id"])) == "x.yaml:4:7"
    assert str(doc.locate(["metadata", "id"], key=True)) == "x.yaml:4:3"
    assert str(doc.locate(["metadata", "tags", 1])) == "x.yaml:5:13"
    assert str(doc.locate(["metadata", "missing"])) == "x.yaml:4:3"  # the parent mapping
    assert str(doc.locate_in_scalar(["metadata", "tags", 1], 0)) == "x.yaml:5:14"  # inside the quotes


def test_yaml_12_scalars() -> None:
    doc = load_text("x.yaml", b"a: on\nb: NO\nc: 012\nd: 2026-01-01\ne: 0x1F\nf: ~\ng: true\nh: '1.0'\n").documents[0]
    assert doc.data == {"a": "on", "b": "NO", "c": 12, "d": "2026-01-01", "e": 31, "f": None, "g": True, "h": "1.0"}


def test_leading_utf8_bom_is_accepted() -> None:
    loaded = load_text("x.yaml", b"\xef\xbb\xbfa: 1\n")
    assert not loaded.diagnostics and loaded.documents[0].data == {"a": 1}


def test_symlink_outside_root_is_refused(tmp_path: Path) -> None:
    from kpigov.loader import load_file

    outside = tmp_path / "secret.yaml"
    outside.write_text("a: 1\n")
    root = tmp_path / "repo"
    (root / "policies").mkdir(parents=True)
    (root / "policies" / "link.yaml").symlink_to(outside)
    loaded = load_file(root, root / "policies" / "link.yaml")
    assert [d.code.slug for d in loaded.diagnostics] == ["path-escapes-root"]
    assert loaded.documents == []


def test_offsets_inside_quoted_scalars_account_for_escapes() -> None:
    doc = load_text("x.yaml", b"a: 'it''s x'\nb: \"a\\tb c\"\nc: plain text\n").documents[0]
    assert doc.data["a"][5] == "x" and str(doc.locate_in_scalar(["a"], 5)) == "x.yaml:1:11"
    assert doc.data["b"][4] == "c" and str(doc.locate_in_scalar(["b"], 4)) == "x.yaml:2:10"
    assert str(doc.locate_in_scalar(["c"], 6)) == "x.yaml:3:10"
