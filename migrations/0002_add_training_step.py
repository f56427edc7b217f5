"""Training curves: one row per logged optimizer step (loss, learning rate, dev accuracy)."""


def up(con) -> None:
    con.execute(
        """CREATE TABLE training_step (
            run_key VARCHAR NOT NULL, step INTEGER NOT NULL, loss DOUBLE NOT NULL,
            learning_rate DOUBLE NOT NULL, dev_accuracy DOUBLE, PRIMARY KEY (run_key, step))"""
    )
