-- SPS point index: a re-shot or alternative position of a preplot point (index 2-9) is a point of its own,
-- next to the primary one. Production figures and QC count only the primary point of each line/point
-- (the lowest index the preplot file gives it, normally 1): `alternative` marks the others.

ALTER TABLE preplot_point
    ADD COLUMN point_index smallint NOT NULL DEFAULT 1,
    ADD COLUMN alternative boolean NOT NULL DEFAULT false;
ALTER TABLE preplot_point DROP CONSTRAINT preplot_point_pkey;
ALTER TABLE preplot_point ADD PRIMARY KEY (pid, line, point, point_index);
