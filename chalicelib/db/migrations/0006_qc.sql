-- Quality control: when each sequence was last checked and against which data, and which
-- findings the crew accepted (kept apart from the findings so acceptance survives regeneration).
CREATE TABLE qc_run (
    pid             text NOT NULL REFERENCES project (pid) ON DELETE CASCADE,
    sequence        integer NOT NULL,
    raw_upload_id   bigint,
    final_upload_id bigint,
    configuration   jsonb NOT NULL DEFAULT '{}',
    ran_on          timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (pid, sequence)
);

CREATE TABLE qc_acceptance (
    pid         text NOT NULL REFERENCES project (pid) ON DELETE CASCADE,
    sequence    integer NOT NULL,
    test        text NOT NULL,
    point       integer NOT NULL,
    accepted_by text,
    accepted_on timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (pid, sequence, test, point)
);

CREATE INDEX event_current_qc ON event (pid, sequence) WHERE upper_inf(validity) AND meta ? 'qc';
