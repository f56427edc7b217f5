"""Every attack, offline, on the tiny model and Russian (Cyrillic) text, plus Hindi, Arabic, Thai and Chinese.

One module fixture fills a grid with all attacks under all three protocols; the victims are trained
long enough (240 steps) that their predictions depend on the input, so attacks can succeed.
"""

import math
import random
import unicodedata
from collections import OrderedDict

import Levenshtein
import pytest

from xstore.catalog import ATTACKS
from xstore.db import Store
from xstore.errors import UserError
from xstore.fill import fill
from xstore.spec import load_spec

SPEC = """
database = "attacks.duckdb"

[grid]
base_models = ["builtin:tiny-xlmr"]
intermediate = ["none", "demo-sentiment"]
targets = ["demo-nli"]
languages = ["ru"]
seeds = [1]
attacks = ["none", "deepwordbug", "pruthi", "homoglyph", "bae", "homoglyphnoise"]

[train.intermediate]
learning_rate = 1e-3
batch_size = 16
grad_accum_steps = 1
max_steps = 6
max_length = 48

[train.target]
learning_rate = 3e-3
batch_size = 16
grad_accum_steps = 1
epochs = 8.0
max_steps = 240
warmup_ratio = 0.0
weight_decay = 0.0
max_length = 48

[predict]
eval_splits = ["dev"]
max_length = 48

[attacks.deepwordbug]
query_budget = 15
max_words_perturbed_share = 0.3

[attacks.pruthi]
protocol = "transfer"
query_budget = 15

[attacks.homoglyph]
protocol = "transfer"
reference = "demo-sentiment"
query_budget = 15

[attacks.bae]
query_budget = 15
max_candidates = 5
"""

BUDGET = 15
# Short XNLI dev pairs (Conneau et al. 2018) in scripts the demo data lacks.
NON_LATIN = {
    "hi": ("और उसने कहा, माँ, मैं घर आया हूं।", "उसने एक शब्द नहीं कहा।"),
    "ar": ("لم يكن عليه أن يذهب.", "لم يُسمح له بالحضور."),
    "th": ("ฉันมีมากกว่าหนึ่งงาน", "ฉันมีงานทำ."),
    "zh": ("他没去到。", "他不被允许前往博物馆的开幕礼。"),
    "ru": ("Мария читает интересную книгу в большой библиотеке.", "Мария любит читать."),
}


@pytest.fixture(scope="module")
def attacked(tmp_path_factory):
    folder = tmp_path_factory.mktemp("attacks")
    (folder / "attacks.toml").write_text(SPEC)
    spec = load_spec(folder / "attacks.toml")
    report = fill(spec, Store(spec.database_path))
    assert report.exit_code == 0, report.failed
    return folder


def _q(folder, sql, params=None):
    with Store(folder / "attacks.duckdb").connect(read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


def _rows(folder, attack):
    """(original a, original b, perturbed a, perturbed b, outcome, queries, words, chars) per attempt."""
    return _q(folder, """SELECT e.text_a, e.text_b, p.text_a, p.text_b, p.outcome, p.queries, p.words_changed,
                                p.chars_changed FROM perturbation p JOIN example e ON e.id = p.example_id
                         WHERE p.attack = ? ORDER BY p.victim_run_key, e.idx""", [attack])


@pytest.fixture(scope="module")
def victim(attacked):
    """The no-intermediate run's classifier and tokenizer, and the Russian dev examples."""
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    path = _q(attacked, "SELECT checkpoint_path FROM training_run WHERE phase = 'target' AND intermediate = 'none'")[0][0]
    checkpoint = attacked / "attacks.xstore" / path
    examples = [dict(zip(("id", "text_a", "text_b", "label"), row)) for row in _q(
        attacked, "SELECT id, text_a, text_b, label FROM example WHERE split = 'dev' AND language = 'ru' ORDER BY idx")]
    return (AutoModelForSequenceClassification.from_pretrained(checkpoint), AutoTokenizer.from_pretrained(checkpoint),
            examples, attacked / "attacks.xstore" / "pretrained" / "tiny-xlmr-v1")


# -- what the fill stored --------------------------------------------------------------------------


def test_success_is_reported_truthfully(attacked):
    # Each attempt against the victim's own stored prediction on the stored text (predict_perturbed of the
    # victim run) and on the clean text (predict_clean).
    rows = _q(attacked, """
        SELECT t.attack, t.outcome, pp.pred_label <> pp.label, pc.pred_label <> pc.label,
               t.text_a = e.text_a AND t.text_b = e.text_b
        FROM perturbation t JOIN example e ON e.id = t.example_id
        JOIN prediction pp ON pp.perturbation_id = t.id AND pp.run_key = t.victim_run_key
        JOIN prediction pc ON pc.example_id = t.example_id AND pc.run_key = t.victim_run_key AND pc.attack = 'none'""")
    assert len(rows) == 90 * 6  # 2 per-victim attacks x 2 runs + 2 transfer attacks, 90 examples each
    for attack, outcome, wrong_after, wrong_before, unchanged in rows:
        assert outcome in ("succeeded", "failed", "skipped")
        assert wrong_after == (outcome != "failed"), (attack, outcome)
        assert wrong_before == (outcome == "skipped"), (attack, outcome)
        if outcome == "skipped":
            assert unchanged
    for attack in ("deepwordbug", "pruthi", "homoglyph", "bae"):
        assert ("succeeded",) in _q(attacked, "SELECT DISTINCT outcome FROM perturbation WHERE attack = ?", [attack])


def test_protocols_decide_who_was_attacked_and_who_reads_the_text(attacked):
    runs = dict(_q(attacked, "SELECT intermediate, key FROM training_run WHERE phase = 'target'"))
    victims = dict(_q(attacked, "SELECT attack, list(DISTINCT victim_run_key ORDER BY victim_run_key) FROM perturbation GROUP BY attack"))
    assert victims["homoglyphnoise"] == [None]
    assert victims["deepwordbug"] == victims["bae"] == sorted(runs.values())  # per-victim
    assert victims["pruthi"] == [runs["none"]]  # transfer from the default reference
    assert victims["homoglyph"] == [runs["demo-sentiment"]]  # transfer from the named reference
    # per-victim: each run predicts on the text made against itself
    assert _q(attacked, """SELECT count(*) FROM prediction p JOIN perturbation t ON t.id = p.perturbation_id
                           WHERE t.attack IN ('deepwordbug', 'bae') AND t.victim_run_key <> p.run_key""") == [(0,)]
    # transfer and model-independent: every run predicts on the same texts, with full logits
    shared = _q(attacked, """SELECT p.attack, count(DISTINCT p.run_key), count(DISTINCT p.perturbation_id), count(*),
                                    min(len(p.logits)) FROM prediction p
                             WHERE p.attack IN ('pruthi', 'homoglyph', 'homoglyphnoise') GROUP BY p.attack ORDER BY 1""")
    assert shared == [(a, 2, 90, 180, 3) for a in ("homoglyph", "homoglyphnoise", "pruthi")]


@pytest.mark.parametrize("attack, share, most_words", [("deepwordbug", 0.3, None), ("pruthi", None, 1),
                                                         ("homoglyph", None, None), ("bae", 0.4, None)])
def test_perturbations_stay_within_their_budget(attacked, attack, share, most_words):
    from xstore.runners.attacks.textattack_offline import words_from_text

    for a, b, new_a, new_b, outcome, queries, words, chars in _rows(attacked, attack):
        assert queries <= BUDGET
        assert chars == Levenshtein.distance(a, new_a) + Levenshtein.distance(b, new_b)
        assert (words == 0) == (new_a == a and new_b == b) == (chars == 0)
        if outcome == "skipped":
            assert queries == 1 and words == 0
        if outcome == "succeeded":
            assert words >= 1
        if share is not None:
            assert words <= math.ceil(share * (len(words_from_text(a)) + len(words_from_text(b))))
        if most_words is not None:
            assert words <= most_words


def _changed_words(a, b, new_a, new_b):
    return [(x, y) for old, new in ((a, new_a), (b, new_b)) for x, y in zip(old.split(), new.split()) if x != y]


def test_edits_are_the_ones_each_attack_makes(attacked):
    from xstore.runners.attacks import confusables, languages

    cyrillic = set(languages.alphabet("ru"))
    stop = languages.stopwords("ru")
    for row in _rows(attacked, "deepwordbug"):
        for old, new in _changed_words(*row[:4]):
            assert {c for c in new if c.isalpha()} - {c for c in old if c.isalpha()} <= cyrillic  # no Latin letters
    for row in _rows(attacked, "homoglyph"):
        for old, new in _changed_words(*row[:4]):
            diffs = [(x, y) for x, y in zip(old, new) if x != y]
            assert len(old) == len(new) and len(diffs) == 1 and diffs[0][1] in confusables.table()[diffs[0][0]]
    for row in _rows(attacked, "pruthi"):
        for old, new in _changed_words(*row[:4]):
            assert (old[0], old[-1]) == (new[0], new[-1]) and abs(len(old) - len(new)) <= 1  # inner letters only
    for row in _rows(attacked, "bae"):
        for old, _ in _changed_words(*row[:4]):
            assert old.strip(".,!?") not in stop  # stop words are kept


def test_stored_perturbations_keep_negation_and_meaning(attacked):
    from xstore import named

    with Store(attacked / "attacks.duckdb").connect(read_only=True) as con:
        result = named.run(con, "perturbation_validity")
        names = [d[0] for d in result.description]
        rows = [dict(zip(names, r)) for r in result.fetchall()]
        keys = con.execute("SELECT DISTINCT params->>'negation' FROM cell WHERE kind = 'perturb'").fetchall()
    assert keys == [("1",)]  # the Russian list's version is in every perturb cell's key
    assert {r["attack"] for r in rows} == {"deepwordbug", "pruthi", "homoglyph", "bae", "homoglyphnoise"}
    for r in rows:
        assert r["with_negation"] > 0 and r["negation_touched"] == 0 and r["unchecked"] == 0, r
        assert r["below_threshold"] == 0 and r["changed"] > 0, r
        if r["protocol"] != "model-independent":  # similarity >= 0.9 (A2T) by default, stored for each change
            assert r["similarity_threshold"] == 0.9 and r["with_similarity"] == r["changed"], r
            assert r["similarity_min"] >= 0.9


# -- the attacks on their own ----------------------------------------------------------------------


@pytest.mark.parametrize("attack", ["deepwordbug", "pruthi", "homoglyph", "bae"])
def test_attacks_repeat_exactly_and_follow_their_seed(victim, attack):
    from xstore.runners.attacks.victim import Victim
    from xstore.runners.perturb import attack_examples
    from xstore.runners.common import batched_logits, encode

    model, tokenizer, examples, tiny = victim
    # eight inputs the victim gets right, so the attacks have something to attack (wrong ones are skipped)
    logits = batched_logits(model, tokenizer, encode(tokenizer, [e["text_a"] for e in examples],
                                                     [e["text_b"] for e in examples], 48), 64)
    right = [e for e, pred in zip(examples, logits.argmax(axis=1)) if pred == e["label"]][:8]
    assert len(right) == 8

    def run(seed):
        params = {**ATTACKS[attack].defaults, "query_budget": 10, "seed": seed, "similarity_encoder": str(tiny)}
        if attack == "bae":
            params["mlm"] = str(tiny)
        return attack_examples(Victim(model, tokenizer, max_length=48, batch_size=64), ATTACKS[attack], right,
                               "ru", params, ("premise", "hypothesis"))

    first = run(0)
    assert first == run(0)
    assert any(a["outcome"] != "skipped" for a in first)
    if attack == "deepwordbug":  # it draws random positions and letters (most Cyrillic letters have one homoglyph)
        assert run(1) != first


def test_word_splitter_keeps_marks_and_matches_textattack_elsewhere():
    import re

    from xstore.runners.attacks.textattack_offline import load, words_from_text

    load()
    assert words_from_text("मैं घर जा रहा हूँ।") == ["मैं", "घर", "जा", "रहा", "हूँ"]
    assert words_from_text("لم يُسمح له") == ["لم", "يُسمح", "له"]
    homos = """˗৭Ȣ𝟕бƼᏎƷᒿlO`ɑЬϲԁе𝚏ɡհіϳ𝒌ⅼｍոорԛⲅѕ𝚝սѵԝ×уᴢ"""
    for text in ["Der Mann spielt, am Abend; Gitarre!", "Don't re-use e-mail@x", "Мария читает книгу.", "Ça coûte 3€"]:
        words = [w.strip("'-_*@") for token in text.split() for w in re.findall(f"[\\w{homos}'\\-_\\*@]+", token.strip("'-_*@"))]
        assert words_from_text(text) == [w for w in words if w]


@pytest.mark.parametrize("language", sorted(NON_LATIN))
def test_character_attacks_stay_in_the_script_of_any_language(victim, language):
    from textattack.shared import AttackedText

    from xstore.runners.attacks import confusables, deepwordbug_gao2018, homoglyph_boucher2022, languages, pruthi2019
    from xstore.runners.attacks.victim import Victim

    model, tokenizer, _, _ = victim
    wrapped = Victim(model, tokenizer, max_length=48, batch_size=64)
    text = AttackedText(OrderedDict(zip(("premise", "hypothesis"), NON_LATIN[language])))
    keyboard = {key for row in pruthi2019.KEYBOARDS.get(language, []) for key in row}
    letters = set(languages.alphabet(language)) | keyboard | {c for c in text.text}
    stop = languages.stopwords(language)
    random.seed(0)
    for module in (deepwordbug_gao2018, pruthi2019, homoglyph_boucher2022):
        params = {**ATTACKS[{"deepwordbug_gao2018": "deepwordbug", "pruthi2019": "pruthi",
                             "homoglyph_boucher2022": "homoglyph"}[module.__name__.split(".")[-1]]].defaults,
                  "similarity_threshold": 0.0}
        attack = module.build(wrapped, language, params)
        candidates = attack.get_transformations(text, original_text=text)
        for candidate in candidates:
            # the first word that differs is the one edited (Thai or Chinese words may re-split after it)
            i = next(k for k, (x, y) in enumerate(zip(text.words, candidate.words + [""])) if x != y)
            assert text.words[i] not in stop
            new = {c for c in candidate.text} - {c for c in text.text}
            if module is homoglyph_boucher2022:
                assert all(any(c in confusables.table().get(o, ()) for o in text.words[i]) for c in new)
            else:
                assert new <= letters, (module.__name__, new)  # no ASCII letters in Devanagari, Arabic, ...
        editable = [w for w in text.words if w not in stop]
        can_edit = {deepwordbug_gao2018: editable,
                    pruthi2019: [w for w in editable if len(w) >= 4],
                    homoglyph_boucher2022: [w for w in editable if any(c in confusables.table() for c in w)]}
        assert bool(candidates) == bool(can_edit[module]), (module.__name__, language)


def test_homoglyph_noise_is_seeded_per_example_and_changes_every_script():
    from xstore.runners.attacks import confusables
    from xstore.runners.attacks.homoglyphnoise import perturb_rows

    rows = [{"id": lang, "text_a": a, "text_b": b} for lang, (a, b) in sorted(NON_LATIN.items())]
    first = [perturb_rows([row], {"rate": 0.1, "seed": 0}, row["id"])[0] for row in rows]
    assert first == [perturb_rows([row], {"rate": 0.1, "seed": 0}, row["id"])[0] for row in rows]
    assert perturb_rows(rows[2:3], {"rate": 0.1, "seed": 0}, rows[2]["id"]) == first[2:3]
    assert [perturb_rows([row], {"rate": 0.1, "seed": 1}, row["id"])[0] for row in rows] != first
    table = confusables.table()
    for row, attempt in zip(rows, first):
        for old, new in ((row["text_a"], attempt["text_a"]), (row["text_b"], attempt["text_b"])):
            assert len(old) == len(new) and all(y in table[x] for x, y in zip(old, new) if x != y)
        if any(c in table for c in row["text_a"] + row["text_b"]):
            assert attempt["chars_changed"] >= 1 and attempt["outcome"] == "perturbed"


def test_confusables_are_symmetric_and_never_undone_by_nfkc():
    from xstore.runners.attacks import confusables

    table = confusables.table()
    assert "а" in table["a"] and "a" in table["а"]  # Cyrillic and Latin a
    assert "ુ" in table["ु"]  # a Devanagari vowel sign and its Gujarati twin
    assert "ａ" not in table["a"]  # full-width a: NFKC gives back a
    for char, others in list(table.items())[:3000]:
        for other in others:
            assert char in table[other]
            assert unicodedata.normalize("NFKC", char) != unicodedata.normalize("NFKC", other)


def test_keyboards_are_physical_neighbours():
    from xstore.runners.attacks.pruthi2019 import KEYBOARDS, neighbours

    qwerty = neighbours([list("qwertyuiop"), list("asdfghjkl"), list("zxcvbnm")])
    assert sorted(qwerty["s"]) == sorted("adwezx") and sorted(qwerty["g"]) == sorted("fhtyvb")
    assert sorted(neighbours(KEYBOARDS["ru"])["ы"]) == sorted("фвцуяч")
    for rows in KEYBOARDS.values():
        table = neighbours(rows)
        assert all(key in table[other] for key, near in table.items() for other in near)


def test_stop_words_and_alphabets_per_language():
    from xstore.runners.attacks import languages

    assert {"и", "И", "в"} <= languages.stopwords("ru") and "的" in languages.stopwords("zh")
    assert all("CYRILLIC" in unicodedata.name(c) for c in languages.alphabet("ru"))
    assert all(unicodedata.name(c).startswith("DEVANAGARI") for c in languages.alphabet("hi"))
    assert set("abcxyzABCXYZ") <= set(languages.alphabet("en"))
    with pytest.raises(UserError, match="no stop-word list for language 'xx'"):
        languages.stopwords("xx")


def test_sentence_encoder_is_refused_clearly_when_not_installed(victim):
    from xstore.runners.attacks import bae_garg2020
    from xstore.runners.attacks.victim import Victim

    model, tokenizer, _, tiny = victim
    params = {**ATTACKS["bae"].defaults, "mlm": str(tiny), "use_threshold": 0.936, "similarity_encoder": str(tiny)}
    with pytest.raises(UserError, match="needs the multilingual Universal Sentence Encoder.*set use_threshold = 0"):
        bae_garg2020.build(Victim(model, tokenizer, 48, 64), "ru", params)


def test_textattack_import_leaves_the_environment_alone(victim):
    import os

    # textattack sets HF_HOME and XDG_CACHE_HOME to its own cache on import; the offline loader puts them back
    assert not any("textattack" in os.environ.get(name, "") for name in ("HF_HOME", "XDG_CACHE_HOME"))
