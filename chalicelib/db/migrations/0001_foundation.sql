-- Foundation: projects, their key/value information, accounts and login throttling.
CREATE EXTENSION IF NOT EXISTS postgis;

CREATE TABLE project (
    pid           text PRIMARY KEY CHECK (pid ~ '^[A-Za-z0-9_-]{1,32}$'),
    serial        integer GENERATED ALWAYS AS IDENTITY UNIQUE,
    name          text NOT NULL,
    groups        text[] NOT NULL DEFAULT '{}',
    configuration jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(configuration) = 'object'),
    meta          jsonb NOT NULL DEFAULT '{}',
    archived      boolean NOT NULL DEFAULT false,
    created_on    timestamptz NOT NULL DEFAULT now(),
    updated_on    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE project_info (
    pid        text NOT NULL REFERENCES project (pid) ON DELETE CASCADE,
    key        text NOT NULL,
    value      jsonb,
    updated_on timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (pid, key)
);

CREATE TABLE account (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name          text NOT NULL CHECK (length(name) BETWEEN 1 AND 64),
    role          text NOT NULL CHECK (role IN ('guest', 'user', 'master')),
    password_hash text NOT NULL,
    projects      text[],
    created_on    timestamptz NOT NULL DEFAULT now(),
    UNIQUE (name, role)
);

CREATE TABLE login_failure (
    id        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name      text NOT NULL,
    source_ip inet,
    at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX login_failure_name_at ON login_failure (name, at);
CREATE INDEX login_failure_ip_at ON login_failure (source_ip, at);
