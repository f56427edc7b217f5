"""Every attack keeps negation, and with a similarity threshold never stores a perturbation below it.

Sentences written for this test (not taken from any dataset), with negation as a word (nicht, не, نہیں),
a character span (没有, 不), a prefix (Swahili ha-, si-) and a clitic (Arabic و+لا). The check of each
output counts the negation the sentence names, independently of the lexicon under test, and also
compares the lexicon's markers. Real XNLI text gets the same checks in test_validity_constraints_real.py.
"""

from __future__ import annotations

import pytest

from validity_helpers import NOISE_ATTACKS, VICTIM_ATTACKS, attack_all, build_models, negation_lost

# language -> [(premise, hypothesis, the negation tokens in them)]
SENTENCES = {
    "zh": [("他昨天去了北京。", "他昨天没有去北京。", ["没有"]),
           ("我们都很喜欢这部电影。", "她根本没想过要看这部电影。", ["没"]),
           ("她每天早上跑步。", "她从来不跑步，也没有时间。", ["不", "没有"]),
           ("会议已经结束了。", "会议还未开始。", ["未"]),
           ("我还没有告诉他这件事。", "他知道这件事。", ["没有"]),
           ("这家饭店的菜很好吃。", "这个问题无法解决，别担心。", ["无", "别"])],
    "de": [("Der Zug kam pünktlich an.", "Der Zug ist nicht pünktlich angekommen.", ["nicht"]),
           ("Sie hat einen Hund und zwei Katzen.", "Sie hat keine Haustiere.", ["keine"]),
           ("Er arbeitet jeden Tag im Garten.", "Er arbeitet nie im Garten.", ["nie"]),
           ("Alle Gäste kamen zur Feier.", "Niemand kam zur Feier.", ["Niemand"]),
           ("Wir haben alles gesehen.", "Wir haben nichts gesehen und nicht gefragt.", ["nichts", "nicht"])],
    "sw": [("Mwalimu alifika shuleni mapema.", "Mwalimu hakufika shuleni.", ["hakufika"]),
           ("Watoto wanacheza uwanjani.", "Watoto hawachezi uwanjani.", ["hawachezi"]),
           ("Nimeona filamu hiyo mara mbili.", "Sijawahi kuona filamu hiyo.", ["Sijawahi"]),
           ("Kuna maji mengi kisimani.", "Hakuna maji kisimani.", ["Hakuna"]),
           ("Tunajua jibu la swali hili.", "Hatujui jibu la swali hili.", ["Hatujui"])],
    "hi": [("राम आज बाज़ार गया।", "राम आज बाज़ार नहीं गया।", ["नहीं"]),
           ("बच्चे मैदान में खेल रहे हैं।", "बच्चे मैदान में नहीं खेल रहे हैं।", ["नहीं"]),
           ("उसने दरवाज़ा खोला।", "दरवाज़ा मत खोलो।", ["मत"]),
           ("वह चाय के साथ चीनी लेता है।", "वह बिना चीनी के चाय पीता है।", ["बिना"])],
    "ar": [("ذهب الطالب إلى المدرسة.", "لم يذهب الطالب إلى المدرسة.", ["لم"]),
           ("أحب القهوة كثيرا.", "لا أحب القهوة.", ["لا"]),
           ("سيأتي أخي غدا.", "لن يأتي أخي غدا.", ["لن"]),
           ("المطعم مفتوح اليوم.", "المطعم ليس مفتوحا اليوم.", ["ليس"]),
           ("قرأت الكتاب كله.", "لم أقرأ الكتاب ولا المجلة.", ["لم", "ولا"])],
    "ru": [("Поезд пришёл вовремя.", "Поезд не пришёл вовремя.", ["не"]),
           ("У него есть машина.", "У него нет машины.", ["нет"]),
           ("Все пришли на праздник.", "Никто не пришёл на праздник.", ["Никто", "не"]),
           ("Она всегда читает по вечерам.", "Она никогда не читает по вечерам.", ["никогда", "не"]),
           ("Здесь можно курить.", "Здесь нельзя курить.", ["нельзя"])],
}
# One more sentence in each other attacked language, for the noise attacks (no victim needed).
MORE = {"en": ("She did not come and nobody called.", ["not", "nobody"]),
        "fr": ("Il n'est jamais venu.", ["n'est", "jamais"]),
        "es": ("No vino nadie a la fiesta.", ["No", "nadie"]),
        "tr": ("Ahmet okula gelmedi ve bilmiyorum.", ["gelmedi", "bilmiyorum"]),
        "ja": ("彼は学校に行かなかった。", ["なかっ"]),
        "ko": ("그는 학교에 가지 않았다.", ["않았다"]),
        "th": ("เขาไม่ได้ไปโรงเรียน", ["ไม่ได้"]),
        "el": ("Δεν ήρθε κανένας.", ["Δεν", "κανένας"]),
        "bg": ("Той не дойде и няма никой.", ["не", "няма", "никой"]),
        "ur": ("وہ اسکول نہیں گیا۔", ["نہیں"]),
        "vi": ("Anh ấy không đến trường.", ["không"])}


# Where an attack has nothing it may edit, whatever the constraints.
CANNOT_EDIT = {
    ("pruthi", "zh"): "Pruthi et al. edit words of 4+ characters; Chinese words are shorter",
    # Unicode's confusables (as `homoglyphs` ships them, NFKC-equal pairs left out) have no Arabic, Devanagari or
    # common Chinese letter, only vowel signs, digits, radicals and punctuation, which TextAttack's words exclude.
    ("homoglyph", "ar"): "no letter of these Arabic sentences has a homoglyph",
    ("homoglyph", "hi"): "no letter of these Hindi sentences has a homoglyph",
    ("homoglyph", "zh"): "no character of these Chinese sentences has a homoglyph",
}


def _examples(language):
    return [{"id": f"{language}{i}", "text_a": a, "text_b": b} for i, (a, b, _) in enumerate(SENTENCES[language])]


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    texts = [t for rows in SENTENCES.values() for a, b, _ in rows for t in (a, b)] + [t for t, _ in MORE.values()]
    return build_models(tmp_path_factory.mktemp("validity"), texts)


@pytest.fixture(scope="module")
def attacked(models):
    victim, mlm = models
    # similarity off here: the tiny random encoder's similarities say nothing about meaning (tested below)
    return {lang: attack_all(victim, mlm, _examples(lang), lang, query_budget=40, similarity_threshold=0.0)
            for lang in SENTENCES}


@pytest.mark.parametrize("language", sorted(SENTENCES))
@pytest.mark.parametrize("attack", VICTIM_ATTACKS + NOISE_ATTACKS)
def test_no_attack_edits_negation(attacked, language, attack):
    rows = attacked[language][attack]
    for (premise, hypothesis, tokens), row in zip(SENTENCES[language], rows):
        lost = negation_lost(premise, row["text_a"], tokens, language) + \
            negation_lost(hypothesis, row["text_b"], tokens, language)
        assert not lost, (attack, language, hypothesis, row["text_b"], lost)
        assert row["negations_after"] == row["negations"] and row["negations"], (row["text_a"], row["text_b"])
    changed = sum((row["text_a"], row["text_b"]) != (a, b) for (a, b, _), row in zip(SENTENCES[language], rows))
    if (attack, language) in CANNOT_EDIT:
        assert changed == 0, CANNOT_EDIT[attack, language]
    else:  # the check is not vacuous: the attack did edit these inputs, around their negation
        assert changed >= 1, f"{attack} changed none of the {language} inputs"


@pytest.mark.parametrize("attack", VICTIM_ATTACKS + NOISE_ATTACKS)
def test_attacks_still_edit_most_inputs(attacked, attack):
    pairs = [(example, row) for lang in SENTENCES if (attack, lang) not in CANNOT_EDIT
             for example, row in zip(SENTENCES[lang], attacked[lang][attack])]
    changed = sum((row["text_a"], row["text_b"]) != example[:2] for example, row in pairs)
    assert changed >= len(pairs) / 3, (attack, changed, len(pairs))


@pytest.mark.parametrize("attack", NOISE_ATTACKS)
def test_noise_keeps_negation_in_every_other_language(attack):
    from xstore.catalog import ATTACKS
    from xstore.runners.attacks import confusables
    from xstore.runners.perturb import _resolve

    for language, (text, tokens) in MORE.items():
        editable = attack == "charnoise" or any(c in confusables.table() for c in text)
        for seed in range(5):
            row = _resolve(ATTACKS[attack].runner)([{"id": "x", "text_a": text, "text_b": None}],
                                                   {"rate": 0.5, "seed": seed}, language)[0]
            assert not negation_lost(text, row["text_a"], tokens, language), (language, row["text_a"])
            assert (row["chars_changed"] > 0) == editable, (language, row["text_a"])


def test_without_the_constraints_the_attacks_do_edit_negation(models):
    """The fixture can fail: with the negation constraints taken out, DeepWordBug and noise edit it."""
    from collections import OrderedDict

    from xstore.catalog import ATTACKS
    from xstore.runners.attacks import deepwordbug_gao2018, validity
    from xstore.runners.charnoise import perturb_text

    victim, mlm = models
    lost = 0
    for language in SENTENCES:
        attack = deepwordbug_gao2018.build(victim, language, {**ATTACKS["deepwordbug"].defaults, "query_budget": 30,
                                                              "similarity_threshold": 0.0})
        attack.pre_transformation_constraints = [c for c in attack.pre_transformation_constraints
                                                 if not isinstance(c, validity.NegationModification)]
        attack.constraints = [c for c in attack.constraints if not isinstance(c, validity.NegationKept)]
        for example, (_, hypothesis, tokens) in zip(_examples(language), SENTENCES[language]):
            label = int(victim([(example["text_a"], example["text_b"])])[0].argmax())
            result = attack.attack(OrderedDict(premise=example["text_a"], hypothesis=hypothesis), label)
            after = result.perturbed_result.attacked_text.tokenizer_input[1]
            lost += bool(negation_lost(hypothesis, after, tokens, language))
    assert lost >= 3
    import random

    assert any(negation_lost(text, perturb_text(text, 0.5, random.Random(s))[0], tokens, lang)
               for lang, (text, tokens) in MORE.items() for s in range(3))


def test_similarity_below_the_threshold_is_never_stored(models):
    import numpy as np
    import torch
    from transformers import AutoModel, AutoTokenizer

    from xstore.runners.attacks.meaning import Encoder
    from xstore.runners.charnoise import perturb_text

    victim, mlm = models
    examples = [e for lang in ("de", "ru") for e in _examples(lang)]
    # a threshold in the middle of what single-word edits score under this encoder, so it bites
    import random

    rng = random.Random(0)
    scores = Encoder(str(mlm), 64, 64).similarity(
        [((e["text_b"],), (perturb_text(e["text_b"], 0.1, rng)[0],)) for e in examples])
    threshold = float(np.median([s for s in scores if s is not None]))
    rows = {lang: attack_all(victim, mlm, _examples(lang), lang, similarity_threshold=threshold,
                             attacks=("deepwordbug", "homoglyph", "charnoise")) for lang in ("de", "ru")}
    model, tokenizer = AutoModel.from_pretrained(mlm).eval(), AutoTokenizer.from_pretrained(mlm)

    def embed(text):  # mean pooling written again, one text at a time (no padding)
        with torch.no_grad():
            hidden = model(**tokenizer(text, return_tensors="pt", truncation=True, max_length=64)).last_hidden_state[0]
        return hidden.mean(0)

    changed = rejected = 0
    for lang, by_attack in rows.items():
        for attack, attempts in by_attack.items():
            for example, row in zip(_examples(lang), attempts):
                rejected += row["rejected"].get("similarity", 0)
                fields = [(a, b) for a, b in ((example["text_a"], row["text_a"]), (example["text_b"], row["text_b"]))
                          if a != b]
                if not fields:
                    assert row["similarity"] is None
                    continue
                changed += 1
                assert row["similarity"] >= threshold, (attack, row)
                again = min(float(torch.nn.functional.cosine_similarity(embed(a), embed(b), dim=0)) for a, b in fields)
                assert row["similarity"] == pytest.approx(again, abs=1e-5)
    assert changed >= 5 and rejected >= 5, (changed, rejected)
