"""The built-in tiny model: workers of one fill that build it at once all end up loading one complete copy."""

import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path


def _build_and_load(target: str) -> bool:
    from transformers import AutoModelForMaskedLM

    from xstore.runners.models import build_tiny

    path = build_tiny(Path(target))
    AutoModelForMaskedLM.from_pretrained(path)  # raises if another build removed it meanwhile
    return (path / "model.safetensors").is_file()


def test_concurrent_builds_share_one_complete_model(tmp_path):
    target = tmp_path / "pretrained" / "tiny"
    # spawn, not fork: forking a process whose torch thread pools are running can deadlock the children
    with ProcessPoolExecutor(3, mp_context=multiprocessing.get_context("spawn")) as pool:
        assert list(pool.map(_build_and_load, [str(target)] * 3)) == [True, True, True]
    assert [p.name for p in target.parent.iterdir()] == ["tiny"]  # no temporary folder left behind
