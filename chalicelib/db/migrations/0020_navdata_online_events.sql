-- The navigation feed, continued.
-- 1. Accounts of role ``vessel``: the vessel's sender, which may only post navigation headers.
ALTER TABLE account DROP CONSTRAINT account_role_check;
ALTER TABLE account ADD CONSTRAINT account_role_check CHECK (role IN ('guest', 'user', 'master', 'vessel'));

-- 2. The FSP/LSP system events of an online sequence are made from the feed: the time of the first header
-- (ts0) its FSP was last written for, and the latest header's (ts1) for its LSP, so a batch finds in one
-- look at this table which sequences need an event written.
ALTER TABLE navdata_sequence
    ADD COLUMN fsp_event_ts0 timestamptz,
    ADD COLUMN lsp_event_ts1 timestamptz;
