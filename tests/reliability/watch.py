"""What a reliability test watches: every file and folder under a root, hashed, so that "nothing changed" is a
comparison of two snapshots (a helper module, not a conftest.py: see tests/queries/querydb.py for why)."""

from __future__ import annotations

import glob
import hashlib
import os
import tempfile
from pathlib import Path


def snapshot(root: Path) -> dict[str, str]:
    """Relative path -> sha256 of every file under `root` ("dir" for folders, the target for links)."""
    out = {}
    for path in sorted(Path(root).rglob("*")):
        key = str(path.relative_to(root))
        if path.is_symlink():
            out[key] = "link:" + os.readlink(path)
        elif path.is_dir():
            out[key] = "dir"
        else:
            out[key] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


def spill_folders() -> list[str]:
    """This process's query spill folder, if one was left behind (xstore.sandbox removes it)."""
    return glob.glob(os.path.join(tempfile.gettempdir(), f"xstore-query-{os.getpid()}"))


def one_line_error(code: int, out: str, err: str, fragment: str) -> None:
    """Exit 2, one line on stderr that starts `error:` and holds `fragment`, and no traceback anywhere."""
    assert code == 2, (code, out, err)
    assert "Traceback" not in out + err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    assert fragment in lines[0], (fragment, lines[0])
