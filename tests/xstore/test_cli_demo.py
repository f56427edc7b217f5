"""`xstore demo` says when it fills a demo.toml that is not the packaged one."""

from importlib import resources

import pytest

from conftest import run_cli

PACKAGED = resources.files("xstore.demo").joinpath("demo.toml").read_text(encoding="utf-8")


@pytest.fixture
def no_fill(monkeypatch):
    """Stop `xstore demo` where it would start filling: these tests are about what it says before."""
    from xstore import errors, fill

    def stop(*args, **kwargs):
        raise errors.UserError("stopped before filling")

    monkeypatch.setattr(fill, "fill", stop)


def test_an_edited_demo_toml_is_named_before_it_is_used(tmp_path, capsys, no_fill):
    (tmp_path / "demo.toml").write_text(PACKAGED.replace("seeds = [1, 2]", "seeds = [1, 2, 3]"))
    code, _, err = run_cli(["demo", "--dir", tmp_path], capsys)
    assert code == 2 and "stopped before filling" in err
    assert f"using the existing {tmp_path / 'demo.toml'}, which differs from the packaged demo.toml" in " ".join(err.split())


@pytest.mark.parametrize("existing", [False, True])
def test_the_packaged_demo_toml_goes_without_a_word(tmp_path, capsys, no_fill, existing):
    if existing:
        (tmp_path / "demo.toml").write_text(PACKAGED)
    code, _, err = run_cli(["demo", "--dir", tmp_path], capsys)
    assert code == 2 and "differs" not in err
    assert (tmp_path / "demo.toml").read_text() == PACKAGED
