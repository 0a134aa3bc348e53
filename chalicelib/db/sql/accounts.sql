-- name: find_accounts
SELECT id, name, role, password_hash, projects, token_version
FROM account
WHERE name = %(name)s
ORDER BY id;

-- name: get_account
SELECT id, name, role, password_hash, projects, token_version
FROM account
WHERE id = %(id)s;

-- name: token_state
-- What a token is checked against on every request.
SELECT role, token_version FROM account WHERE id = %(id)s;

-- name: list_accounts
SELECT id, name, role, projects, created_on
FROM account
ORDER BY name, role;

-- name: create_account
INSERT INTO account (name, role, password_hash, projects)
VALUES (%(name)s, %(role)s, %(password_hash)s, %(projects)s)
RETURNING id;

-- name: set_password
UPDATE account
SET password_hash = %(password_hash)s, token_version = token_version + 1
WHERE name = %(name)s AND role = %(role)s
RETURNING id;

-- name: set_projects
UPDATE account
SET projects = %(projects)s, token_version = token_version + 1
WHERE name = %(name)s AND role = %(role)s
RETURNING id;

-- name: delete_accounts
DELETE FROM account
WHERE name = %(name)s AND (%(role)s::text IS NULL OR role = %(role)s)
RETURNING id;

-- name: set_role
UPDATE account
SET role = %(new_role)s, token_version = token_version + 1
WHERE name = %(name)s AND role = %(role)s
RETURNING id;

-- name: revoke_tokens
UPDATE account
SET token_version = token_version + 1
WHERE name = %(name)s AND (%(role)s::text IS NULL OR role = %(role)s)
RETURNING id;

-- name: count_recent_failures
-- by_ip: every failure from the address (a success never clears it); by_name_ip: the name's
-- failures from the address since its last success there, and the latest of them; by_name: the
-- name's failures from anywhere (the ceiling that only slows down).
SELECT
    (SELECT count(*) FROM login_failure
     WHERE %(source_ip)s::inet IS NOT NULL AND source_ip = %(source_ip)s::inet
       AND at > now() - make_interval(secs => %(window)s)) AS by_ip,
    (SELECT count(*) FROM login_failure
     WHERE name = %(name)s AND source_ip IS NOT DISTINCT FROM %(source_ip)s::inet AND NOT cleared
       AND at > now() - make_interval(secs => %(window)s)) AS by_name_ip,
    (SELECT max(at) FROM login_failure
     WHERE name = %(name)s AND source_ip IS NOT DISTINCT FROM %(source_ip)s::inet AND NOT cleared
       AND at > now() - make_interval(secs => %(window)s)) AS last_failure,
    (SELECT count(*) FROM login_failure
     WHERE name = %(name)s AND at > now() - make_interval(secs => %(window)s)) AS by_name,
    now() AS now;

-- name: account_failures
-- Per account of the name: its failures from the address since the account's last success.
SELECT a.id,
       (SELECT count(*) FROM account_login_failure f
        WHERE f.account_id = a.id AND f.source_ip IS NOT DISTINCT FROM %(source_ip)s::inet
          AND f.at > now() - make_interval(secs => %(window)s)) AS failures
FROM account a
WHERE a.name = %(name)s;

-- name: record_failure
INSERT INTO login_failure (name, source_ip) VALUES (%(name)s, %(source_ip)s::inet);

-- name: record_account_failures
INSERT INTO account_login_failure (account_id, source_ip)
SELECT id, %(source_ip)s::inet FROM account WHERE name = %(name)s;

-- name: clear_failures
-- A success: the account's own count, and the name's count from this address (never the address's).
UPDATE login_failure SET cleared = true
WHERE name = %(name)s AND source_ip IS NOT DISTINCT FROM %(source_ip)s::inet AND NOT cleared;

-- name: clear_account_failures
DELETE FROM account_login_failure WHERE account_id = %(account_id)s;

-- name: prune_failures
DELETE FROM login_failure WHERE at < now() - make_interval(secs => %(window)s);

-- name: prune_account_failures
DELETE FROM account_login_failure WHERE at < now() - make_interval(secs => %(window)s);
