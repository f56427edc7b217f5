"""A disk that fills up mid-fill: one clear message, exit 2, and a database whose stored cells are whole."""

import shutil
import subprocess

import pytest

from conftest import assert_same_fill, run_cli, serial_threads, snapshot, write_spec
from xstore.db import Store


@pytest.fixture
def small_disk(tmp_path):
    """A 4 MiB tmpfs: enough for the database and one or two checkpoints, not for the whole fill."""
    mount = tmp_path / "disk"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(mount)], capture_output=True)
    if done.returncode != 0:
        pytest.skip("cannot mount a small tmpfs here (needs root)")
    yield mount
    subprocess.run(["umount", "-l", str(mount)], check=False)


@pytest.mark.parametrize("executor", ["serial", "local"])
def test_full_disk_stops_cleanly_and_resumes_elsewhere(small_disk, filled_small, tmp_path, capsys, monkeypatch, executor):
    """Whether the disk fills under this process or under a worker, the fill stops with one message."""
    monkeypatch.setenv("OMP_NUM_THREADS", serial_threads())  # a worker's rows are then a serial fill's, bit for bit
    spec = write_spec(small_disk)
    code, out, err = run_cli(["fill", spec, "--executor", executor, "--workers", "1"], capsys)
    assert code == 2, out + err
    assert "no space left on the device" in err and "Traceback" not in err
    # what was stored is whole: every stored prediction cell has all its rows, nothing orphaned
    with Store(small_disk / "small.duckdb").connect(read_only=True) as con:
        stored = con.execute("SELECT count(*) FROM cell").fetchone()[0]
        assert 0 < stored < 23
        assert con.execute("""SELECT count(*) FROM prediction WHERE cell_key NOT IN (SELECT key FROM cell)""").fetchone() == (0,)
    # moved to a disk with room, the same command finishes the grid with the rows of an uninterrupted fill
    roomy = tmp_path / "roomy"
    shutil.copytree(small_disk, roomy)
    code, out, _ = run_cli(["fill", roomy / "small.toml"], capsys)
    assert code == 0, out
    assert_same_fill(snapshot(roomy), snapshot(filled_small))


def test_read_only_folder_gives_one_message_and_changes_nothing(filled_small, tmp_path, capsys):
    mount = tmp_path / "ro"
    mount.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64m", "tmpfs", str(mount)], capture_output=True).returncode:
        pytest.skip("cannot mount a tmpfs here (needs root)")
    try:
        shutil.copytree(filled_small, mount, dirs_exist_ok=True)
        write_spec(mount, languages=("en", "de", "ru"))  # one more language: there is work to do
        before = (mount / "small.duckdb").read_bytes()
        subprocess.run(["mount", "-o", "remount,ro", str(mount)], check=True)
        code, out, err = run_cli(["fill", mount / "small.toml"], capsys)
        assert code == 2 and "read-only file system" in err and "Traceback" not in err
        assert (mount / "small.duckdb").read_bytes() == before
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)
