"""The kernels' on-disk cache is dropped when any kernel source changes."""

from __future__ import annotations

import importlib.util
import sys

from riskcast.engine import _jit


def test_stale_cache_is_dropped_when_a_source_changes(tmp_path, monkeypatch):
    module_file = tmp_path / "tiny_kernel.py"
    module_file.write_text(
        "import numba\n\n@numba.njit(cache=True)\ndef twice(x):\n    return 2 * x\n"
    )
    spec = importlib.util.spec_from_file_location("tiny_kernel", module_file)
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "tiny_kernel", module)
    spec.loader.exec_module(module)
    assert module.twice(3) == 6  # writes its cache beside the module
    cache_dir = tmp_path / "__pycache__"
    source = tmp_path / "helper.py"
    source.write_text("A = 1\n")
    monkeypatch.setattr(_jit, "KERNEL_SOURCES", [source])

    assert list(cache_dir.glob("*.nbi"))
    _jit.drop_stale_cache(module.twice)  # no stamp yet: the cache goes
    assert not list(cache_dir.glob("*.nbi"))
    assert (cache_dir / "riskcast-kernels.stamp").is_file()
    (cache_dir / "marker.nbi").write_text("cached")
    _jit.drop_stale_cache(module.twice)  # same sources: kept
    assert (cache_dir / "marker.nbi").exists()
    source.write_text("A = 2\n")
    _jit.drop_stale_cache(module.twice)  # a source changed: dropped
    assert not (cache_dir / "marker.nbi").exists()
