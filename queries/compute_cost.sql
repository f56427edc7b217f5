-- compute_cost: what did filling this grid cost, per cell kind and per run, and how much of it was loading models?
-- Grain: one row per cell kind x run (the training run a cell works for: a training cell's own run, the run a
--   prediction or calibration fit belongs to, an attack's victim; no run for loading data and for
--   model-independent attacks), then one row per kind over all its runs, then one row for the whole grid.
-- Parameters: none.
-- Reads: cell, training_run.
-- Definition: a cell's cost is its runner's wall time, plus writing its rows, plus the earlier, interrupted
--   attempts it went on from (a resumed training): wall_seconds + write_seconds + resumed_seconds. The runner's
--   wall time splits into loading models (checkpoints, and a training's saved state), reading inputs from the
--   database, and computing (xstore/cells.py). Writing covers a worker's shard and the inserts of the cell's
--   transaction up to its commit (the commit itself is not timed). Cells stored before schema migration 0007
--   have no split: their wall time counts in `seconds`, `unaccounted_cells` counts them, and `load_share`
--   leaves them out.
WITH costed AS (  -- one row per stored cell: the run it works for and its seconds
    SELECT kind,
           CASE WHEN kind IN ('train_intermediate', 'train_target') THEN key
                ELSE coalesce(parents->>'run', parents->>'victim') END AS run_key,
           started_at,
           wall_seconds + coalesce(write_seconds, 0) + coalesce(resumed_seconds, 0) AS seconds,
           load_seconds, read_seconds, compute_seconds, write_seconds, resumed_seconds, models_loaded,
           load_seconds IS NULL AS unaccounted
    FROM cell
),
totals AS (  -- per kind and run, per kind, and for the grid
    SELECT kind, run_key,
           grouping(kind) AS all_kinds, grouping(run_key) AS all_runs,
           min(started_at) AS started,
           count(*) AS cells,
           sum(seconds) AS seconds,
           sum(load_seconds) AS load_seconds,
           sum(read_seconds) AS read_seconds,
           sum(compute_seconds) AS compute_seconds,
           sum(write_seconds) AS write_seconds,
           sum(resumed_seconds) AS resumed_seconds,
           sum(models_loaded)::BIGINT AS models_loaded,
           sum(load_seconds) / nullif(sum(seconds) FILTER (WHERE NOT unaccounted), 0) AS load_share,
           count(*) FILTER (WHERE unaccounted) AS unaccounted_cells
    FROM costed
    GROUP BY GROUPING SETS ((kind, run_key), (kind), ())
    HAVING count(*) > 0  -- an empty table still makes a grid row otherwise
),
ordered AS (  -- kinds in the order they were first computed (dependency order), the grid last
    SELECT *, min(started) OVER (PARTITION BY kind, all_kinds) AS kind_started
    FROM totals
)
SELECT
    CASE WHEN t.all_kinds = 1 THEN 'grid' WHEN t.all_runs = 1 THEN 'kind' ELSE 'kind x run' END AS grain,  -- what the row sums over
    t.kind,                             -- cell kind (NULL on the grid row)
    r.base_model,                       -- the run's phase-1 encoder (NULL: no run, or a total)
    r.intermediate,                     -- the run's intermediate setting
    r.task,                             -- the task the run trained on
    r.seed,                             -- the run's seed
    t.cells,                            -- cells stored
    t.seconds,                          -- their cost in seconds: wall + write + resumed
    t.load_seconds,                     -- of which loading models and saved training states
    t.read_seconds,                     -- of which reading inputs from the database
    t.compute_seconds,                  -- of which computing
    t.write_seconds,                    -- of which writing rows (shard and transaction)
    t.resumed_seconds,                  -- of which earlier, interrupted attempts of resumed trainings
    t.models_loaded,                    -- models read from disk (not found kept in the process's model cache)
    t.load_share,                       -- load_seconds / seconds, over cells with a split
    t.unaccounted_cells,                -- cells stored before time accounting: in seconds, without a split
    t.run_key                           -- training_run.key of the run (NULL: no run, or a total)
FROM ordered AS t
LEFT JOIN training_run AS r ON r.key = t.run_key AND t.all_runs = 0
ORDER BY t.all_kinds, t.kind_started, t.kind, t.all_runs, r.intermediate, r.task, r.seed, t.run_key
