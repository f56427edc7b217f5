"""The planner's fast key paths give exactly the keys of the plain definition, for any values."""

import hashlib

import pytest

from hypothesis import given
from hypothesis import strategies as st

from xstore.keys import KeyPrefix, KeyTemplate, Slot, canonical_json, content_key

_text = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=12)
_json = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | _text,
                     lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_text, inner, max_size=3), max_leaves=8)


@given(params=st.dictionaries(_text, _json, max_size=4), seed=st.integers(), run=st.text(max_size=6) | st.integers(),
       parents=st.dictionaries(_text, _text, max_size=3))
def test_key_template_equals_content_key(params, seed, run, parents):
    params = {k: v for k, v in params.items() if k != "seed"}
    parents = {k: v for k, v in parents.items() if k != "run"}
    template = KeyTemplate("fit", {**params, "seed": Slot("seed")}, {**parents, "run": Slot("run")})
    assert template.key(seed=seed, run=run) == content_key("fit", {**params, "seed": seed}, {**parents, "run": run})


def test_key_template_refuses_missing_or_repeated_slots():
    template = KeyTemplate("k", {"seed": Slot("seed")}, {})
    with pytest.raises(ValueError, match="need values"):
        template.key()
    with pytest.raises(ValueError, match="more than once"):
        KeyTemplate("k", {"a": Slot("seed"), "b": Slot("seed")}, {})


def test_every_declared_cell_key_is_the_plain_content_key(tmp_path):
    """The planner's templates and prefixes are shortcuts: each key equals the definition's."""
    from conftest import write_spec
    from xstore.planner import declare
    from xstore.spec import load_spec

    cells = declare(load_spec(write_spec(tmp_path, seeds=(1, 2))))
    for cell in cells:
        if cell.kind.startswith("predict"):
            p = cell.params
            shared = {k: p[k] for k in ("base_model", "intermediate", "seed", "task", "max_length")}
            fields = (cell.kind, p["kind_version"], p["split"], p["language"], p["attack"], *cell.parents.values())
            assert cell.key == KeyPrefix("predict", shared, cell.parents["run"]).key(*fields)
        else:
            assert cell.key == content_key(cell.kind, cell.params, cell.parents), cell.kind


_field = st.text(alphabet=st.characters(blacklist_characters="\x1e\x1f", blacklist_categories=("Cs",)), max_size=8)


@given(shared=st.dictionaries(_text, _json, max_size=3), fields=st.lists(_field | st.integers(), min_size=1, max_size=6))
def test_key_prefix_head_and_key_from_match_key(shared, fields):
    prefix = KeyPrefix("predict", shared)
    digest = hashlib.sha256(canonical_json(("predict", shared)).encode())
    digest.update(("\x1e" + "\x1f".join(map(str, fields))).encode())
    assert prefix.key(*fields) == digest.hexdigest()[:20]
    assert prefix.key_from(KeyPrefix.head(*fields[:-1]), str(fields[-1])) == prefix.key(*fields)
