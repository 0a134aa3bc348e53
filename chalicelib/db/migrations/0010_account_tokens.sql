-- Tokens that can be revoked, and login failures counted per account and per (name, address).
--
-- account.token_version is carried in every token and checked on every request: changing a
-- password, the role or the projects of an account, removing it, or `user revoke` bumps it, and every
-- token issued before stops working.
ALTER TABLE account ADD COLUMN token_version integer NOT NULL DEFAULT 1;

-- A failed login is one row (per address counts and per (name, address) counts). A success clears the
-- (name, address) count by marking its rows cleared; it never removes them, so the address count stays.
ALTER TABLE login_failure ADD COLUMN cleared boolean NOT NULL DEFAULT false;
CREATE INDEX login_failure_name_ip_at ON login_failure (name, source_ip, at);

-- A failed login also counts against every account of the name, per address: a success with one
-- account (the guest password of a name) clears that account's count only.
CREATE TABLE account_login_failure (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account_id bigint NOT NULL REFERENCES account (id) ON DELETE CASCADE,
    source_ip  inet,
    at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX account_login_failure_account_ip_at ON account_login_failure (account_id, source_ip, at);
