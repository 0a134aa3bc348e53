-- The real-time navigation feed: one row per header the vessel's navigation system sent.
-- ``data`` keeps the header as it came plus what Dougal added (_received, _latency, _online and, while a line
-- is online, _sequence, _line, _point, _schema); the columns beside it are what queries filter on.
-- A header delivered twice (a repeated batch, a redelivered message) has the same time and position: the
-- unique key stores it once. The key leads with tstamp, so it is also the time index (newest first by a
-- backward scan, tstamp ± tolerance as a range scan).

CREATE TABLE navdata (
    id       bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tstamp   timestamptz NOT NULL,                -- the header's time
    received timestamptz NOT NULL,                -- when Dougal received it
    lon      double precision NOT NULL,           -- WGS 84
    lat      double precision NOT NULL,
    geom     geometry(Point, 4326) GENERATED ALWAYS AS (ST_SetSRID(ST_MakePoint(lon, lat), 4326)) STORED,
    online   boolean NOT NULL,
    pid      text REFERENCES project (pid) ON DELETE SET NULL,  -- the project whose line was online
    sequence integer,
    line     integer,
    point    integer,
    attempt  integer,                             -- from the line pattern, when it captures one
    line_name text,                               -- the header's line name, while online
    data     jsonb NOT NULL CHECK (jsonb_typeof(data) = 'object'),
    CONSTRAINT navdata_fix UNIQUE (tstamp, lon, lat)
);
-- pos + radius: metres on the spheroid, through the geography index.
CREATE INDEX navdata_geog ON navdata USING gist ((geom::geography));
-- A project's online sequences.
CREATE INDEX navdata_online ON navdata (pid, sequence, tstamp) WHERE online;

-- Sequences seen online in the feed, kept up to date by each batch: until a raw file is imported for one,
-- the project's sequence list shows it with status "online" and these figures.
CREATE TABLE navdata_sequence (
    pid        text NOT NULL REFERENCES project (pid) ON DELETE CASCADE,
    sequence   integer NOT NULL,
    line       integer,
    attempt    integer NOT NULL DEFAULT 0,
    line_name  text,
    fsp        integer,                 -- point of the first online header
    ts0        timestamptz NOT NULL,    -- its time
    lsp        integer,                 -- point of the latest online header
    ts1        timestamptz NOT NULL,
    num_points integer NOT NULL,        -- online headers stored so far
    PRIMARY KEY (pid, sequence)
);
