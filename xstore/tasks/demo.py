"""The offline demo's tasks: templated text shipped with xstore (see examples/make_demo_data.py)."""

from __future__ import annotations

import hashlib
import json
from importlib import resources
from pathlib import Path
from typing import Optional

from xstore.errors import UserError
from xstore.tasks.entry import Loaded, TaskEntry


def _read_packaged_jsonl(entry: TaskEntry, split: str, language: str, data_dir: Optional[Path]) -> Loaded:
    """Read one of the demo's JSONL files shipped in `xstore/demo/` (or a copy in `data_dir`)."""
    filename = f"{entry.name.replace('-', '_')}.jsonl"
    if data_dir is not None:
        path = Path(data_dir) / filename
        if not path.is_file():
            raise UserError(f"task {entry.name!r}: no file {path} (expected the JSONL layout of {filename})")
        text, origin, location = path.read_text(encoding="utf-8"), "local", str(path)
    else:
        text = resources.files("xstore.demo").joinpath(filename).read_text(encoding="utf-8")
        origin, location = "packaged", f"xstore/demo/{filename}"
    label_index = {label: i for i, label in enumerate(entry.labels)}
    rows = []
    required = ("split", "language", "index", "label", *entry.text_fields)
    for line_no, line in enumerate(text.splitlines(), start=1):
        where = f"task {entry.name!r}: {filename} line {line_no}"
        try:
            record = json.loads(line)
        except ValueError:
            raise UserError(f"{where} is not valid JSON") from None
        missing = [name for name in required if name not in record]
        if missing:
            raise UserError(f"{where} has no {missing[0]!r} field (each line needs {', '.join(required)})")
        if record["split"] != split or record["language"] != language:
            continue
        fields = [record[name] for name in entry.text_fields]
        if any(not isinstance(value, str) or not value.strip() for value in fields):
            raise UserError(f"{where} has an empty text field")
        if record["label"] not in label_index:
            raise UserError(
                f"{where} has unknown label {record['label']!r}; "
                f"expected one of {', '.join(entry.labels)}"
            )
        rows.append({
            "idx": record["index"],
            "text_a": fields[0],
            "text_b": fields[1] if len(fields) > 1 else None,
            "label": label_index[record["label"]],
            "fields": None,
        })
    fingerprint = hashlib.sha256(text.encode("utf-8")).hexdigest()
    return Loaded(rows=rows, origin=origin, location=location, fingerprint=fingerprint)


_DEMO_LANGUAGES = ("en", "de", "fr", "es", "ru")

ENTRIES = [
    # Templated NLI written for this project (examples/make_demo_data.py): English training data,
    # dev and test parallel in five languages, so the zero-shot protocol runs end to end offline.
    TaskEntry(
        name="demo-nli",
        version=1,
        role="target",
        head="classification",
        labels=("entailment", "neutral", "contradiction"),
        text_fields=("premise", "hypothesis"),
        splits={"train": ("en",), "dev": _DEMO_LANGUAGES, "test": _DEMO_LANGUAGES},
        source="shipped with xstore (xstore/demo/demo_nli.jsonl)",
        reader=_read_packaged_jsonl,
        layout="demo_nli.jsonl: one JSON object per line with split, language, index, label, premise, hypothesis",
    ),
    # Templated English sentiment, the demo's intermediate task (stands in for SST-2).
    TaskEntry(
        name="demo-sentiment",
        version=1,
        role="intermediate",
        head="classification",
        labels=("negative", "positive"),
        text_fields=("text",),
        splits={"train": ("en",), "dev": ("en",)},
        source="shipped with xstore (xstore/demo/demo_sentiment.jsonl)",
        reader=_read_packaged_jsonl,
        layout="demo_sentiment.jsonl: one JSON object per line with split, language, index, label, text",
    ),
]
