"""Random character noise: seeded per example, within its rate, and in the text's own script."""

import random

from xstore.runners.charnoise import perturb_rows, perturb_text, words_changed

RUSSIAN = "Мария читает интересную книгу в большой библиотеке города."
GERMAN = "Der Mann spielt am Abend Gitarre im Park."


def _rows():
    return [{"id": f"ex{i}", "text_a": text, "text_b": GERMAN} for i, text in enumerate([RUSSIAN, GERMAN, "Ok."])]


def test_same_seed_same_noise_and_independent_of_neighbours():
    params = {"rate": 0.1, "seed": 0}
    first = perturb_rows(_rows(), params, "ru")
    assert first == perturb_rows(_rows(), params, "ru")
    # an example's noise does not depend on which other examples are perturbed with it
    assert perturb_rows(_rows()[1:], params, "ru") == first[1:]
    assert perturb_rows(_rows(), {"rate": 0.1, "seed": 1}, "ru") != first


def test_every_attempt_changes_the_text_and_counts_its_edits():
    for attempt, row in zip(perturb_rows(_rows(), {"rate": 0.1, "seed": 0}, "ru"), _rows()):
        assert attempt["text_a"] != row["text_a"] or attempt["text_b"] != row["text_b"]
        assert attempt["chars_changed"] >= 1 and attempt["outcome"] == "perturbed" and attempt["queries"] == 0
        assert attempt["words_changed"] == words_changed(row["text_a"], attempt["text_a"]) + words_changed(
            row["text_b"], attempt["text_b"])


def test_non_latin_text_stays_in_its_script():
    text, edits = perturb_text(RUSSIAN, 0.3, random.Random(3))
    assert edits > 0 and text != RUSSIAN
    new_letters = {c for c in text if c.isalpha()} - {c for c in RUSSIAN if c.isalpha()}
    assert new_letters == set()  # every letter comes from the same sentence
    assert all("\u0400" <= c <= "\u04ff" for c in text if c.isalpha())


def test_edit_rate_is_close_to_the_requested_rate():
    text = " ".join([GERMAN] * 200)
    letters = sum(c.isalpha() for c in text)
    for rate in (0.05, 0.2):
        _, edits = perturb_text(text, rate, random.Random(0))
        # a swap that meets a repeated letter is dropped, so the count sits a little under rate * letters
        assert 0.8 * rate * letters <= edits <= 1.1 * rate * letters, (rate, edits, letters)


def test_words_changed_counts_positions():
    assert words_changed("a b c", "a x c") == 1
    assert words_changed("a b c", "a b") == 1
    assert words_changed("a b", "a b") == 0
