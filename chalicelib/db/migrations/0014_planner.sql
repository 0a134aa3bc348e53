-- The plan: sequences the navigators mean to shoot next. The figures that come from the preplot
-- (num_points, length, azimuth, geometry) are computed when a planned sequence is written, so
-- that reading the plan never walks the preplot. ts0/ts1 hold only times a user gave; estimated
-- times are worked out on every read (they depend on the clock and on what was acquired since).
CREATE TABLE planned_sequence (
    pid        text NOT NULL REFERENCES project (pid) ON DELETE CASCADE,
    sequence   integer NOT NULL,
    line       integer NOT NULL,
    fsp        integer NOT NULL,
    lsp        integer NOT NULL,
    ts0        timestamptz,               -- given by a user; NULL: estimated
    ts1        timestamptz,               -- given by a user; NULL: estimated
    name       text,                      -- given by a user; NULL: the project's name template
    remarks    text NOT NULL DEFAULT '',
    meta       jsonb NOT NULL DEFAULT '{}',
    num_points integer NOT NULL,
    length     double precision NOT NULL,
    azimuth    double precision,
    geometry   jsonb NOT NULL,            -- GeoJSON LineString, WGS 84
    updated_on timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (pid, sequence)
);
