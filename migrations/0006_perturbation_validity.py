"""Perturbation validity: the similarity, negation markers and constraint rejections of each perturbation,
and `annotation`, people's judgements of whether a perturbation keeps its gold label."""


def up(con) -> None:
    con.execute("ALTER TABLE perturbation ADD COLUMN similarity DOUBLE")
    con.execute("ALTER TABLE perturbation ADD COLUMN negations JSON")
    con.execute("ALTER TABLE perturbation ADD COLUMN negations_after JSON")
    con.execute("ALTER TABLE perturbation ADD COLUMN rejected JSON")
    con.execute(
        """CREATE TABLE annotation (
            perturbation_id VARCHAR NOT NULL, annotator VARCHAR NOT NULL, label_holds VARCHAR NOT NULL,
            note VARCHAR NOT NULL, source_file VARCHAR NOT NULL, imported_at TIMESTAMP NOT NULL,
            PRIMARY KEY (perturbation_id, annotator))"""
    )
