"""One definition of a calibrated prediction, and labels that keep configurations apart.

- prediction.input_changed: whether a perturbed input differs from its clean example (backfilled from
  the stored texts); calibration_fit.at_bound: whether a fitted T sits at or next to its search limit.
- target_run (view): each target run with its variant, the settings of its key (hyperparameters, code
  and task versions, and those of its intermediate run) that differ between runs of its base model and
  target, "default" when none does.
- attack_setting (view): each perturbed prediction cell with its attack setting, the attack and every
  parameter of its perturb cell's key that differs between that attack's settings for the target (budget,
  rate, seed, version, protocol and reference run); the attack's bare name when it has one setting.
- run_calibration (view): the temperature of each run and calibration method ("none": T = 1).
- baseline_run (view): each target run and its no-intermediate baseline (Phang et al. 2020's comparison).
- calibrated_prediction (view): every prediction under every calibration method of its run, with the
  labels, confidence, correctness, gold-label probability, Brier score, NLL and class probabilities.
  The named queries read it; a new calibration method is added here, once.
- bootstrap_key / bootstrap_weight (macros): the Poisson(1) bootstrap weight of an input in a replicate.

The views hold no rows: they are computed when read, so they follow whatever the tables hold.
"""

# A fit is flagged when T is within this factor of a limit of its search range: the unrounded minimum of a
# unimodal NLL this close to a limit may lie beyond it (a real under-confident model was fit T = 0.058
# against a floor of 0.05). runners/calibrate.py flags new fits with the same factor.
_BOUND_FACTOR = 1.25

STATEMENTS = [
    # calibration_fit first: DuckDB refuses a NOT NULL on a keyed table once the transaction has updates.
    "ALTER TABLE calibration_fit ADD COLUMN at_bound BOOLEAN DEFAULT false",
    "ALTER TABLE calibration_fit ALTER COLUMN at_bound SET NOT NULL",
    "ALTER TABLE calibration_fit ALTER COLUMN at_bound DROP DEFAULT",
    f"""UPDATE calibration_fit
        SET at_bound = coalesce(temperature <= {_BOUND_FACTOR} * json_extract(params, '$.range[0]')::DOUBLE
                                OR temperature >= json_extract(params, '$.range[1]')::DOUBLE / {_BOUND_FACTOR}, false)""",
    "ALTER TABLE prediction ADD COLUMN input_changed BOOLEAN",
    "UPDATE prediction SET input_changed = false WHERE attack = 'none'",
    """UPDATE prediction AS p
       SET input_changed = (x.text_a IS DISTINCT FROM e.text_a OR x.text_b IS DISTINCT FROM e.text_b)
       FROM perturbation AS x, example AS e
       WHERE x.id = p.perturbation_id AND e.id = x.example_id""",
    # -- target_run: a run variant for every target run --------------------------------------------------------
    """CREATE VIEW target_run AS
WITH setting AS (  -- every run's key settings but its seed and tasks, one row each (hyperparameters flat)
    SELECT r.key AS run_key, h.key AS name,
           CASE h.type WHEN 'NULL' THEN NULL WHEN 'VARCHAR' THEN json_extract_string(h.value, '$')
                ELSE h.value::VARCHAR END AS value
    FROM training_run AS r, json_each(r.hparams) AS h
    UNION ALL
    SELECT key, 'code_version', code_version::VARCHAR FROM training_run
    UNION ALL
    SELECT r.key, 'task_versions.' || t.key, t.value::VARCHAR FROM training_run AS r, json_each(r.task_versions) AS t
),
target AS (
    SELECT key AS run_key, base_model, intermediate, task, seed, parent_key FROM training_run WHERE phase = 'target'
),
scope AS (  -- the comparisons a run is in: its own settings against the runs of its base model and target
            -- (scope ''), its intermediate run's against those of the same intermediate setting too
    SELECT run_key, base_model, task, '' AS scope FROM target
    UNION ALL
    SELECT run_key, base_model, task, intermediate FROM target WHERE parent_key IS NOT NULL
),
field AS (  -- per target run and scope: the settings compared there ("intermediate." for the parent run's)
    SELECT t.run_key, t.base_model, t.task, '' AS scope, s.name, s.value
    FROM target AS t JOIN setting AS s ON s.run_key = t.run_key
    UNION ALL
    SELECT t.run_key, t.base_model, t.task, t.intermediate, 'intermediate.' || s.name, s.value
    FROM target AS t JOIN setting AS s ON s.run_key = t.parent_key
),
scope_size AS (
    SELECT base_model, task, scope, count(*) AS runs FROM scope GROUP BY base_model, task, scope
),
varying AS (  -- settings whose value differs between the runs of a scope, or that some of them lack
    SELECT f.base_model, f.task, f.scope, f.name
    FROM field AS f JOIN scope_size AS z USING (base_model, task, scope)
    GROUP BY f.base_model, f.task, f.scope, f.name
    HAVING count(DISTINCT coalesce(f.value, 'unset')) > 1 OR count(*) < any_value(z.runs)
),
labelled AS (  -- per run: its values of those settings, the run's own first
    SELECT s.run_key,
           string_agg(v.name || '=' || coalesce(f.value, 'unset'), ', ' ORDER BY v.scope <> '', v.name) AS variant
    FROM scope AS s
    JOIN varying AS v USING (base_model, task, scope)
    LEFT JOIN field AS f ON f.run_key = s.run_key AND f.scope = s.scope AND f.name = v.name
    GROUP BY s.run_key
)
SELECT t.run_key, t.base_model, t.intermediate, t.task AS target, coalesce(l.variant, 'default') AS variant,
       t.seed, t.parent_key
FROM target AS t
LEFT JOIN labelled AS l USING (run_key)""",
    # -- attack_setting: an attack setting for every perturbed prediction cell ----------------------------------
    """CREATE VIEW attack_setting AS
WITH attacked AS (  -- each predict_perturbed cell: the run it evaluates, its perturb cell and that cell's victim
    SELECT c.key AS cell_key, json_extract_string(c.parents, '$.run') AS run_key, x.key AS perturb_key,
           json_extract_string(x.params, '$.attack') AS attack_name, json_extract_string(x.params, '$.task') AS task,
           json_extract_string(x.params, '$.protocol') AS protocol, x.params,
           r.seed AS run_seed, v.intermediate AS victim_intermediate, v.seed AS victim_seed
    FROM cell AS c
    JOIN cell AS x ON x.key = json_extract_string(c.parents, '$.perturbations')
    JOIN training_run AS r ON r.key = json_extract_string(c.parents, '$.run')
    LEFT JOIN training_run AS v ON v.key = json_extract_string(x.parents, '$.victim')
    WHERE c.kind = 'predict_perturbed'
),
relation AS (  -- whom the attack queried, as seen from the evaluated run: "per-victim", or "transfer from"
               -- the reference run's intermediate setting, with its seed when that is not the run's own
    SELECT *,
           CASE WHEN protocol IS NULL THEN NULL
                WHEN protocol <> 'transfer' THEN protocol
                ELSE 'transfer from ' || victim_intermediate
                     || CASE WHEN victim_seed <> run_seed
                               OR (count(DISTINCT victim_seed) OVER reference = 1
                                   AND count(DISTINCT run_seed) OVER reference > 1)
                             THEN ' seed ' || victim_seed ELSE '' END
           END AS victim
    FROM attacked
    WINDOW reference AS (PARTITION BY attack_name, task, protocol, victim_intermediate)
),
field AS (  -- every parameter of the perturb cell's key but the data it reads, budgets unnested; the protocol
            -- as the victim relation
    SELECT a.cell_key, a.attack_name, a.task, regexp_replace(substr(t.fullkey, 3), '^params\\.', '') AS name,
           CASE t.type WHEN 'NULL' THEN NULL WHEN 'VARCHAR' THEN json_extract_string(t.value, '$')
                ELSE t.value::VARCHAR END AS value
    FROM relation AS a, json_tree(a.params) AS t
    WHERE t.type <> 'OBJECT' AND t.fullkey NOT LIKE '%[%'
      AND t.fullkey NOT IN ('$.attack', '$.task', '$.split', '$.language', '$.protocol')
    UNION ALL
    SELECT cell_key, attack_name, task, 'protocol', victim FROM relation WHERE victim IS NOT NULL
),
size AS (
    SELECT attack_name, task, count(*) AS cells FROM relation GROUP BY attack_name, task
),
varying AS (  -- per attack and target: the parameters that differ between its settings, or that some lack
    SELECT f.attack_name, f.task, f.name
    FROM field AS f JOIN size AS z USING (attack_name, task)
    GROUP BY f.attack_name, f.task, f.name
    HAVING count(DISTINCT coalesce(f.value, 'unset')) > 1 OR count(*) < any_value(z.cells)
),
labelled AS (  -- per cell: the attack, and in brackets its values of those parameters (the protocol first)
    SELECT a.cell_key,
           string_agg(CASE WHEN v.name = 'protocol' THEN coalesce(f.value, 'no victim')
                           ELSE v.name || '=' || coalesce(f.value, 'unset') END,
                      ', ' ORDER BY v.name <> 'protocol', v.name) AS differs,
           any_value(d.described) AS described
    FROM relation AS a
    LEFT JOIN varying AS v ON v.attack_name = a.attack_name AND v.task = a.task
    LEFT JOIN field AS f ON f.cell_key = a.cell_key AND f.name = v.name
    LEFT JOIN (SELECT cell_key, string_agg(CASE WHEN name = 'protocol' THEN value ELSE name || '=' || value END,
                                           ', ' ORDER BY name <> 'protocol', name) AS described
               FROM field GROUP BY cell_key) AS d ON d.cell_key = a.cell_key
    GROUP BY a.cell_key
)
SELECT a.cell_key, a.run_key, a.attack_name || coalesce('[' || l.differs || ']', '') AS attack, a.attack_name,
       a.task AS target, a.perturb_key, a.attack_name || '[' || l.described || ']' AS described
FROM relation AS a
JOIN labelled AS l USING (cell_key)""",
    # -- run_calibration: the temperature of each run under each calibration method ----------------------------
    """CREATE VIEW run_calibration AS
SELECT key AS run_key, 'none' AS calibration, NULL::VARCHAR AS language, 1.0::DOUBLE AS temperature,
       false AS temperature_at_bound, NULL::VARCHAR AS fit_key
FROM training_run
WHERE phase = 'target'
UNION ALL
-- Temperature scaling (Guo et al. 2017): T fit on English dev applies to every language; the oracle's T, fit
-- on one language's own dev set, to that language only.
SELECT run_key, method, CASE WHEN method = 'temperature-oracle' THEN fit_language END, temperature, at_bound, key
FROM calibration_fit""",
    # -- baseline_run: the run every target run is compared with ----------------------------------------------
    """CREATE VIEW baseline_run AS
-- The run with intermediate "none" of the same base model, target, seed and target-phase settings
-- (hyperparameters, code and task versions): the baseline of a run with an intermediate setting, and of itself.
SELECT r.key AS run_key, b.key AS baseline_key
FROM training_run AS r
JOIN training_run AS b
  ON b.phase = 'target' AND b.intermediate = 'none' AND b.base_model = r.base_model AND b.task = r.task
 AND b.seed = r.seed AND b.hparams::VARCHAR = r.hparams::VARCHAR AND b.code_version = r.code_version
 AND b.task_versions::VARCHAR = r.task_versions::VARCHAR
WHERE r.phase = 'target'""",
    # -- calibrated_prediction: what every named query reads -----------------------------------------------------
    """CREATE VIEW calibrated_prediction AS
WITH calibration AS (  -- per target run and method: T, and the run's configuration
    SELECT c.run_key, c.calibration, c.language, c.temperature, c.temperature_at_bound,
           r.base_model, r.intermediate, r.target, r.variant, r.seed
    FROM run_calibration AS c
    JOIN target_run AS r USING (run_key)
),
setting AS (  -- the cells whose attack setting is more than the attack's name: an empty join otherwise
    SELECT cell_key, attack FROM attack_setting WHERE attack <> attack_name
),
softmax AS (  -- per prediction and method: e_k = exp((z_k - max z) / T); logits[1..3] by plain arithmetic
              -- (about twice as fast as a list lambda), classes past the third by a lambda, so any count works
    SELECT p.run_key, c.base_model, c.intermediate, c.target, c.variant, c.seed, p.split, p.language,
           coalesce(s.attack, p.attack) AS attack, p.attack AS attack_name, p.input_changed, p.example_id,
           p.unit, p.cell_key, c.calibration, c.temperature, c.temperature_at_bound, p.label, p.pred_label,
           p.logits, list_max(p.logits)::DOUBLE AS z_max,
           exp((p.logits[1]::DOUBLE - z_max) / c.temperature) AS e1,
           exp((p.logits[2]::DOUBLE - z_max) / c.temperature) AS e2,
           coalesce(exp((p.logits[3]::DOUBLE - z_max) / c.temperature), 0) AS e3,
           CASE WHEN len(p.logits) > 3
                THEN list_sum(list_transform(p.logits[4:], lambda z: exp((z::DOUBLE - z_max) / c.temperature)))
                ELSE 0 END AS e_rest,
           CASE WHEN len(p.logits) > 3
                THEN list_sum(list_transform(p.logits[4:], lambda z: exp(2 * (z::DOUBLE - z_max) / c.temperature)))
                ELSE 0 END AS e_rest_squared,
           (p.logits[p.label + 1]::DOUBLE - z_max) / c.temperature AS z_gold
    FROM prediction AS p
    JOIN calibration AS c ON c.run_key = p.run_key AND (c.language IS NULL OR c.language = p.language)
    LEFT JOIN setting AS s ON s.cell_key = p.cell_key
),
summed AS (
    SELECT *, e1 + e2 + e3 + e_rest AS sum_exp FROM softmax
)
SELECT run_key, base_model, intermediate, target, variant, seed, split, language, attack, attack_name,
       input_changed, example_id, unit, cell_key, calibration, temperature, temperature_at_bound, label,
       pred_label, pred_label = label AS correct,
       1.0 / sum_exp AS confidence,
       exp(z_gold) / sum_exp AS gold_probability,
       (e1 * e1 + e2 * e2 + e3 * e3 + e_rest_squared) / (sum_exp * sum_exp) - 2 * exp(z_gold) / sum_exp + 1 AS brier,
       ln(sum_exp) - z_gold AS nll,
       list_transform(logits, lambda z: exp((z::DOUBLE - z_max) / temperature) / sum_exp) AS probabilities
FROM summed""",
    # -- the Poisson bootstrap's weights --------------------------------------------------------------------------
    # One hash of one string per input (hashing the fields as separate arguments combined them so that
    # replicates repeated each other's weights); each replicate then mixes its own hash into it.
    "CREATE MACRO bootstrap_key(seed, split, language, attack, example_id) AS "
    "hash(concat_ws('|', seed, split, language, attack, example_id))",
    # Poisson(1) by inverting its CDF at u (thresholds: sum_{j<=k} e^-1 / j!), capped at 8 (P = 1e-6 beyond).
    """CREATE MACRO poisson_weight(u) AS CASE
        WHEN u < 0.36787944117144233 THEN 0 WHEN u < 0.7357588823428847 THEN 1
        WHEN u < 0.9196986029286058 THEN 2 WHEN u < 0.9810118431238463 THEN 3
        WHEN u < 0.9963401531726563 THEN 4 WHEN u < 0.9994058151824183 THEN 5
        WHEN u < 0.999916758850712 THEN 6 WHEN u < 0.9999897508033253 THEN 7 ELSE 8 END""",
    # An input's weight in a replicate: u = hash(key xor hash(replicate)) / 2^64; replicate -1 is the sample
    # itself (weight 1).
    "CREATE MACRO bootstrap_weight(key, replicate) AS CASE WHEN replicate < 0 THEN 1 "
    "ELSE poisson_weight(hash(xor(key, hash(replicate)))::DOUBLE / 18446744073709551616.0) END",
]


def up(con) -> None:
    for statement in STATEMENTS:
        con.execute(statement)
