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


def test_every_helper_source_exists_and_kernels_are_not_among_them():
    names = {path.name for path in _jit.HELPER_SOURCES}
    assert all(path.is_file() for path in _jit.HELPER_SOURCES)
    assert {"rng.py", "sampling.py", "codes.py", "tables.py", "units.py"} <= names
    assert "kernels.py" not in names
