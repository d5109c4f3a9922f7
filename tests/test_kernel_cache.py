"""The entry kernels' cache can never hold the code of an older helper."""

from __future__ import annotations

from riskcast.engine import _jit, kernels


def test_kernels_record_the_digest_of_the_helpers_they_are_made_of():
    assert kernels.SOURCES_DIGEST == _jit.sources_digest(), (
        "a helper of the kernels changed: set SOURCES_DIGEST in src/riskcast/engine/kernels.py "
        f'to "{_jit.sources_digest()}" (the entry kernels run uncached until then)'
    )


def test_a_changed_helper_turns_the_cache_off(tmp_path, monkeypatch):
    helper = tmp_path / "helper.py"
    helper.write_text("A = 1\n")
    monkeypatch.setattr(_jit, "HELPER_SOURCES", [helper])
    recorded = _jit.sources_digest()
    serial, _ = _jit.entry_decorators(recorded)
    assert serial(lambda x: 2 * x)._cache.__class__.__name__ != "NullCache"
    helper.write_text("A = 2\n")
    serial, parallel = _jit.entry_decorators(recorded)
    for decorator in (serial, parallel):
        assert decorator(lambda x: 2 * x)._cache.__class__.__name__ == "NullCache"


def test_the_helper_sources_are_every_module_the_kernels_import_from_riskcast():
    import ast
    from pathlib import Path

    engine = Path(kernels.__file__).parent
    listed = {path.resolve() for path in _jit.HELPER_SOURCES}
    assert all(path.is_file() for path in listed)
    # everything kernels.py imports (and what those import) from riskcast is listed
    seen, todo = set(), [engine / "kernels.py"]
    while todo:
        path = todo.pop()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.level:
                base = path.parent if node.level == 1 else path.parent.parent
                target = (base / (node.module or "").replace(".", "/")).with_suffix(".py")
                if target.is_file() and target not in seen:
                    seen.add(target.resolve())
                    todo.append(target)
    assert seen <= listed, sorted(str(p) for p in seen - listed)
