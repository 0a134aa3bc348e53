-- Receiver points of a project: ocean-bottom nodes and seismometers (P1/11 R1, P1/90 R, SPS R records).
-- Each receiver belongs to the upload that brought it: when that upload is superseded (a newer raw or final
-- file of the sequence) or redefined (a newer file without a sequence giving the same receiver lines), its
-- receivers go. Written with COPY in the import's transaction, so a rejected file leaves none.

ALTER TABLE upload ADD COLUMN receivers integer;  -- receivers read from the file

CREATE TABLE receiver (
    pid       text NOT NULL REFERENCES project (pid) ON DELETE CASCADE,
    upload_id bigint NOT NULL REFERENCES upload (id) ON DELETE CASCADE,
    n         integer NOT NULL,                  -- order in the file
    kind      text NOT NULL CHECK (kind IN ('preplot', 'raw', 'final')),  -- the upload's kind
    sequence  integer,                           -- the sequence of a raw or final file with shots
    line      integer,                           -- receiver line (P1/90 R records give none)
    point     integer,                           -- receiver point (station; P1/90: group number)
    node      text NOT NULL,                     -- the receiver's identity as the file writes it
    objref    integer,
    tstamp    timestamptz,
    depth     double precision,
    easting   double precision NOT NULL,         -- project grid
    northing  double precision NOT NULL,
    lon       double precision NOT NULL,         -- WGS 84
    lat       double precision NOT NULL,
    geom      geometry(Point, 4326) GENERATED ALWAYS AS (ST_SetSRID(ST_MakePoint(lon, lat), 4326)) STORED,
    PRIMARY KEY (pid, upload_id, n)
);
-- The list: by line and point, optionally one line.
CREATE INDEX receiver_line_point ON receiver (pid, line, point);
