-- task_score_by_language: how well does each run do on its target, by the target's own XTREME metric?
-- Grain: one row per target run x split x language x attack setting (x answer normalisation for QA).
-- Parameters: none.
-- Reads: the view task_score (migration 0005), which reads prediction, tag_sentence, span_answer and cell with
--   the run and attack labels of calibrated_prediction (target_run, attack_setting).
-- Definition: Hu et al. 2020, "XTREME: A Massively Multilingual Multi-task Benchmark", section 3 and its scripts;
--   scores on XTREME's 0-100 scale. accuracy: XNLI (Conneau et al. 2018), PAWS-X (Yang et al. 2019), Tatoeba
--   (Artetxe & Schwenk 2019: the nearest English sentence is the gold one). token_accuracy: UD POS (Nivre et al.
--   2018), over the gold words. f1 for PAN-X (Pan et al. 2017): entity-level micro F1 of IOB2 entities as seqeval
--   finds them (conlleval, Tjong Kim Sang & De Meulder 2003). f1 and exact_match for XQuAD (Artetxe et al. 2020)
--   and TyDi QA GoldP (Clark et al. 2020): SQuAD v1.1's evaluate script (Rajpurkar et al. 2016); MLQA (Lewis
--   et al. 2020): mlqa_evaluation_v1.py, with the context language's punctuation, articles and segmentation.
--   f1 for BUCC 2018 (Zweigenbaum et al. 2018): pairs with cosine >= threshold extracted, the threshold
--   maximising F1 on the run's dev split of the language (LASER's bucc_optimize, as XTREME tunes it), or on the
--   split itself where no dev was predicted (tuned_on says which). Post-hoc calibration changes none of these.
SELECT
    base_model,                 -- phase-1 encoder, as named in the spec
    intermediate,               -- "none", an intermediate task, or tasks joined by "+"
    target,                     -- target task
    variant,                    -- run variant: settings that differ between runs ("default": none)
    seed,                       -- training seed of phases 2 and 3
    split,                      -- evaluated split
    language,                   -- language of the inputs
    attack,                     -- attack setting that produced the inputs ("none" = clean)
    metric,                     -- the target's XTREME metric: accuracy, token_accuracy or f1
    score,                      -- that metric, 0-100
    exact_match,                -- QA: exact match, 0-100 (NULL for other targets)
    precision,                  -- PAN-X and BUCC: precision of the entities or extracted pairs, 0-100
    recall,                     -- PAN-X and BUCC: recall, 0-100
    threshold,                  -- BUCC: the cosine threshold applied
    tuned_on,                   -- BUCC: the split the threshold was tuned on
    normalization,              -- QA: the official script whose answer normalisation scored it
    n,                          -- units scored: inputs, sentences, questions or source sentences
    run_key                     -- training_run.key of the target run
FROM task_score
ORDER BY base_model, target, intermediate, variant, seed, split, language, attack
