-- Production bookkeeping: uploaded files, preplot lines and points, sequences and their shots.
-- Statistics the office reads often (line and sequence figures) are kept up to date at import
-- and on edits, so that a project summary never scans every point.

CREATE TABLE upload (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    pid          text,                       -- first key segment; may name no project (then rejected)
    bucket       text NOT NULL,
    key          text NOT NULL,
    etag         text NOT NULL,
    kind         text CHECK (kind IN ('preplot', 'raw', 'final')),
    format       text,
    size         bigint,
    sha256       text,
    status       text NOT NULL CHECK (status IN ('pending', 'imported', 'rejected', 'superseded')),
    message      text,
    records      integer,
    sequence     integer,
    created_on   timestamptz,                -- when the object was written to S3 (orders versions)
    received_on  timestamptz NOT NULL DEFAULT clock_timestamp(),
    imported_on  timestamptz,
    UNIQUE (bucket, key, etag)
);
CREATE INDEX upload_pid_received ON upload (pid, received_on DESC, id DESC);
CREATE INDEX upload_pid_sha ON upload (pid, sha256) WHERE status IN ('imported', 'superseded');

CREATE TABLE preplot_line (
    pid         text NOT NULL REFERENCES project (pid) ON DELETE CASCADE,
    line        integer NOT NULL,
    incr        boolean NOT NULL DEFAULT true,
    ntba        boolean NOT NULL DEFAULT false,
    remarks     text NOT NULL DEFAULT '',
    meta        jsonb NOT NULL DEFAULT '{}',
    -- figures, refreshed by refresh_line_stats
    fsp         integer,
    lsp         integer,
    num_points  integer NOT NULL DEFAULT 0,
    na          integer NOT NULL DEFAULT 0,   -- virgin: acquired by no sequence
    tba         integer NOT NULL DEFAULT 0,   -- virgin and not NTBA
    prime       integer NOT NULL DEFAULT 0,   -- acquired by exactly one sequence
    other       integer NOT NULL DEFAULT 0,   -- acquired by more than one
    ntba_points integer NOT NULL DEFAULT 0,
    length      double precision,
    azimuth     double precision,
    PRIMARY KEY (pid, line)
);

CREATE TABLE preplot_point (
    pid      text NOT NULL,
    line     integer NOT NULL,
    point    integer NOT NULL,
    easting  double precision NOT NULL,
    northing double precision NOT NULL,
    lon      double precision NOT NULL,
    lat      double precision NOT NULL,
    geom     geometry(Point, 4326) GENERATED ALWAYS AS (ST_SetSRID(ST_MakePoint(lon, lat), 4326)) STORED,
    ntba     boolean NOT NULL DEFAULT false,
    remarks  text NOT NULL DEFAULT '',
    meta     jsonb NOT NULL DEFAULT '{}',
    PRIMARY KEY (pid, line, point)  -- no FK to preplot_line: bulk loads stay fast; the loader keeps both in step
);
CREATE INDEX preplot_point_geom ON preplot_point USING gist (geom);

CREATE TABLE sequence (
    pid                text NOT NULL REFERENCES project (pid) ON DELETE CASCADE,
    sequence           integer NOT NULL,
    line               integer NOT NULL,
    attempt            integer NOT NULL DEFAULT 0,
    line_name          text,
    ntbp               boolean NOT NULL DEFAULT false,
    remarks            text NOT NULL DEFAULT '',
    remarks_final      text NOT NULL DEFAULT '',
    meta               jsonb NOT NULL DEFAULT '{}',
    meta_final         jsonb NOT NULL DEFAULT '{}',
    raw_upload_id      bigint REFERENCES upload (id),
    final_upload_id    bigint REFERENCES upload (id),
    -- figures per kind of shots, refreshed by refresh_sequence_stats
    fsp                integer,
    lsp                integer,
    ts0                timestamptz,
    ts1                timestamptz,
    num_points_raw     integer,
    num_preplots_raw   integer,
    missing_raw        integer,
    length_raw         double precision,
    azimuth_raw        double precision,
    fsp_final          integer,
    lsp_final          integer,
    ts0_final          timestamptz,
    ts1_final          timestamptz,
    num_points_final   integer,
    num_preplots_final integer,
    missing_final      integer,
    length_final       double precision,
    azimuth_final      double precision,
    updated_on         timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (pid, sequence)
);

-- One row per fired source per shot (flip-flop and simultaneous sources keep every record).
CREATE TABLE shot (
    pid       text NOT NULL,
    sequence  integer NOT NULL,
    kind      text NOT NULL CHECK (kind IN ('raw', 'final')),
    line      integer NOT NULL,
    point     integer NOT NULL,
    objref    integer NOT NULL,
    tstamp    timestamptz NOT NULL,
    easting   double precision,
    northing  double precision,
    lon       double precision,
    lat       double precision,
    geom      geometry(Point, 4326) GENERATED ALWAYS AS (
                  CASE WHEN lon IS NULL OR lat IS NULL THEN NULL
                       ELSE ST_SetSRID(ST_MakePoint(lon, lat), 4326) END) STORED,
    upload_id bigint NOT NULL,  -- the file version the shot came from (no FK: COPY speed)
    meta      jsonb
);
CREATE INDEX shot_sequence ON shot (pid, sequence, kind, tstamp);
CREATE INDEX shot_line_point ON shot (pid, kind, line, point);
