"""Reading task data: local files (plain or gzipped) and hub datasets, with provenance and clear errors.

Every reader in the catalogue goes through these helpers, so a missing file, a bad line or an unreachable
hub ends in the same kind of message: what was looked for, where, and what to download where.
"""

from __future__ import annotations

import contextlib
import csv
import functools
import gzip
import hashlib
import io
import json
import os
import re
from pathlib import Path
from typing import Iterable, Iterator, Optional

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


def table_records(path: Path, *, delimiter: str = "\t", quoted: bool) -> Iterator[tuple[int, list[str]]]:
    """(line number, fields) for each non-blank record of a delimited text file, header included.

    quoted=True reads Python csv quoting (a field holding a quote is wrapped in quotes, inner quotes
    doubled), as csv.writer writes it: XTREME's preprocessed TSVs, CSV files. quoted=False takes every
    character literally, as GLUE's TSVs need (their text holds bare quotes; HF's GLUE loader used QUOTE_NONE).
    Only "\\n" ends a line, so text holding other Unicode line separators stays whole.
    """
    handle = io.StringIO(read_text(path), newline="\n")
    reader = csv.reader(handle, delimiter=delimiter, quoting=csv.QUOTE_MINIMAL if quoted else csv.QUOTE_NONE)
    try:
        for fields in reader:
            if fields and (len(fields) > 1 or fields[0].strip()):  # blank lines are not records
                yield reader.line_num, fields
    except csv.Error as err:
        raise UserError(f"{path} line {reader.line_num}: cannot parse ({err})") from None


def jsonl_records(path: Path) -> Iterator[tuple[int, dict]]:
    """(line number, object) for each non-blank line of a JSON Lines file."""
    for line_no, line in enumerate(read_text(path).split("\n"), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except ValueError:
            raise UserError(f"{path} line {line_no}: not valid JSON") from None
        if not isinstance(record, dict):
            raise UserError(f"{path} line {line_no}: not a JSON object")
        yield line_no, record


def require_text(where: str, value, what: str) -> str:
    """`value` if it is a non-blank string, else a UserError naming `where` (file and line) and the field."""
    if not isinstance(value, str) or not value.strip():
        raise UserError(f"{where}: empty or missing {what}")
    return value


def label_index(entry, where: str, value, aliases: Optional[dict] = None) -> int:
    """The index of `value` in entry.labels (or its alias, e.g. GLUE's "0"/"1"); else a UserError."""
    known = _label_indices(tuple(entry.labels), tuple((aliases or {}).items()))
    key = value.strip() if isinstance(value, str) else value
    try:
        return known[key]
    except (KeyError, TypeError):  # TypeError: an unhashable value (a list where a label belongs)
        spelled = ", ".join(repr(k) for k in list(known)[:20]) + (", ..." if len(known) > 20 else "")
        raise UserError(f"{where}: unknown label {value!r}; expected one of {spelled}") from None


@functools.lru_cache(maxsize=64)
def _label_indices(labels: tuple, aliases: tuple) -> dict:
    # Cached: tagging readers look up every token, against tag sets of a thousand labels (CCG).
    return {name: i for i, name in enumerate(labels)} | dict(aliases)


def load_hub(entry, path: str, config: Optional[str], split: str, *, revision: Optional[str] = None):
    """One split of a hub dataset through `datasets.load_dataset`, honouring HF_HUB_OFFLINE.

    Args:
        revision: a hub branch, tag or commit; None for the default branch.

    Returns (dataset, location, revision, fingerprint): revision is the hub commit the split was built
    from, read offline from the datasets cache ("" when it cannot be known, e.g. an in-memory dataset).
    Any failure to reach or read the dataset becomes one UserError that says how to use local files.
    """
    try:
        import datasets
    except ImportError:
        raise UserError(f"task {entry.name!r}: reading the hub needs the `datasets` package (pip install datasets), "
                        f"or local files ({entry.layout or 'see `xstore tasks`'})") from None

    datasets.disable_progress_bars()
    location = f"{path}" + (f" ({config})" if config else "") + (f"@{revision}" if revision else "") + f" split {split}"
    try:
        with _offline_from_environment():
            data = datasets.load_dataset(path, config, split=split, revision=revision)
    except Exception as err:  # datasets raises many types (ConnectionError, FileNotFoundError, ValueError...)
        offline = " with HF_HUB_OFFLINE set" if _offline_requested() else ""
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise UserError(
            f"task {entry.name!r}: cannot load hub dataset {location}{offline}: {first}. "
            f"Download it where the hub is reachable, or put local files in a folder "
            f"({entry.layout or 'see `xstore tasks`'}) and name it in the spec: [data] \"{entry.name}\" = \"path/to/folder\""
        ) from None
    return data, location, hub_revision(data), getattr(data, "_fingerprint", "") or ""


def hub_columns(entry, data, location: str, names: Iterable[str]) -> dict[str, list]:
    """The named columns of a hub split as Python lists; a UserError if the hub's schema lacks one."""
    names = list(names)
    missing = [name for name in names if name not in data.column_names]
    if missing:
        raise UserError(f"task {entry.name!r}: hub dataset {location} has no column {missing[0]!r} "
                        f"(it has {', '.join(data.column_names)}); use local files ({entry.layout})")
    return data.select_columns(names).to_dict()


# datasets caches a hub build under <cache>/<namespace>___<name>/<config>/<version>/<commit sha>/, both when it
# downloads (the builder's hash is the commit it resolved) and when it reuses the cache offline.
_COMMIT = re.compile(r"[0-9a-f]{40}")


def hub_revision(data) -> str:
    """The hub commit a loaded split came from, read from its cache file paths; "" if they do not say."""
    for cache_file in getattr(data, "cache_files", None) or ():
        folder = Path(cache_file.get("filename", "")).parent.name
        if _COMMIT.fullmatch(folder):
            return folder
    return ""


def _offline_requested() -> bool:
    # huggingface_hub's truth values (constants._is_true); HF_DATASETS_OFFLINE is datasets' own switch.
    values = (os.environ.get("HF_HUB_OFFLINE", ""), os.environ.get("HF_DATASETS_OFFLINE", ""))
    return any(value.strip().upper() in {"1", "ON", "YES", "TRUE"} for value in values)


@contextlib.contextmanager
def _offline_from_environment():
    """Apply HF_HUB_OFFLINE as it is now: datasets and huggingface_hub read it only once, at import."""
    if not _offline_requested():
        yield
        return
    import datasets.config
    import huggingface_hub.constants

    saved = datasets.config.HF_HUB_OFFLINE, huggingface_hub.constants.HF_HUB_OFFLINE
    datasets.config.HF_HUB_OFFLINE = huggingface_hub.constants.HF_HUB_OFFLINE = True
    try:
        yield
    finally:
        datasets.config.HF_HUB_OFFLINE, huggingface_hub.constants.HF_HUB_OFFLINE = saved
