"""Reading task data: local files (plain or gzipped) and hub datasets, with provenance and clear errors.

Every reader in the catalogue goes through these helpers, so a missing file or an unreachable hub
ends in the same kind of message: what was looked for, and what to download where.
"""

from __future__ import annotations

import gzip
import hashlib
import os
from pathlib import Path
from typing import Iterable, Optional

from xstore.errors import UserError


def find_file(entry, data_dir: Path, names: Iterable[str]) -> Path:
    """The first of `names` (relative to data_dir) that exists, plain or with `.gz`; else a UserError."""
    names = list(names)
    for name in names:
        for candidate in (Path(data_dir) / name, Path(data_dir) / f"{name}.gz"):
            if candidate.is_file():
                return candidate
    raise UserError(
        f"task {entry.name!r}: no file {Path(data_dir) / names[0]} (plain or .gz). "
        f"Expected layout: {entry.layout or 'see `xstore tasks`'}"
    )


def read_text(path: Path) -> str:
    """A UTF-8 text file's content; `.gz` files are decompressed."""
    try:
        if path.suffix == ".gz":
            with gzip.open(path, "rt", encoding="utf-8") as handle:
                return handle.read()
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise UserError(f"{path}: not UTF-8 text") from None
    except (OSError, EOFError) as err:
        raise UserError(f"{path}: cannot read ({err})") from None


def fingerprint(paths: Iterable[Path]) -> str:
    """sha256 over the bytes of `paths`, in the order given (names included)."""
    digest = hashlib.sha256()
    for path in paths:
        digest.update(Path(path).name.encode())
        with open(path, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()


def load_hub(entry, path: str, config: Optional[str], split: str):
    """One split of a hub dataset through `datasets.load_dataset`, honouring HF_HUB_OFFLINE.

    Returns (dataset, location, revision, fingerprint). Any failure to reach or read the dataset
    becomes one UserError that says how to use local files instead.
    """
    import datasets

    datasets.disable_progress_bars()
    location = f"{path}" + (f" ({config})" if config else "") + f" split {split}"
    try:
        data = datasets.load_dataset(path, config, split=split)
    except Exception as err:  # datasets raises many types (ConnectionError, FileNotFoundError, ValueError...)
        offline = " with HF_HUB_OFFLINE set" if os.environ.get("HF_HUB_OFFLINE") else ""
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise UserError(
            f"task {entry.name!r}: cannot load hub dataset {location}{offline}: {first}. "
            f"Download it where the hub is reachable, or put local files in a folder "
            f"({entry.layout or 'see `xstore tasks`'}) and name it in the spec: [data] \"{entry.name}\" = \"path/to/folder\""
        ) from None
    # TODO(catalogue helper): the hub commit of the dataset, from the cache path or the builder.
    revision = ""
    return data, location, revision, getattr(data, "_fingerprint", "") or ""
