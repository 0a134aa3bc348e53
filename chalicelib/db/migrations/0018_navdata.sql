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
    data     jsonb NOT NULL CHECK (jsonb_typeof(data) = 'object'),
    CONSTRAINT navdata_fix UNIQUE (tstamp, lon, lat)
);
-- pos + radius: metres on the spheroid, through the geography index.
CREATE INDEX navdata_geog ON navdata USING gist ((geom::geography));
-- A project's online sequences.
CREATE INDEX navdata_online ON navdata (pid, sequence, tstamp) WHERE online;
