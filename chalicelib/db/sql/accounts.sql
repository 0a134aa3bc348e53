-- name: find_accounts
SELECT id, name, role, password_hash, projects
FROM account
WHERE name = %(name)s
ORDER BY id;

-- name: get_account
SELECT id, name, role, password_hash, projects
FROM account
WHERE id = %(id)s;

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
SET password_hash = %(password_hash)s
WHERE name = %(name)s AND role = %(role)s
RETURNING id;

-- name: set_projects
UPDATE account
SET projects = %(projects)s
WHERE name = %(name)s AND role = %(role)s
RETURNING id;

-- name: delete_accounts
DELETE FROM account
WHERE name = %(name)s AND (%(role)s::text IS NULL OR role = %(role)s)
RETURNING id;

-- name: count_recent_failures
SELECT
    (SELECT count(*) FROM login_failure
     WHERE name = %(name)s AND at > now() - make_interval(secs => %(window)s)) AS by_name,
    (SELECT count(*) FROM login_failure
     WHERE %(source_ip)s::inet IS NOT NULL AND source_ip = %(source_ip)s::inet
       AND at > now() - make_interval(secs => %(window)s)) AS by_ip;

-- name: record_failure
INSERT INTO login_failure (name, source_ip) VALUES (%(name)s, %(source_ip)s::inet);

-- name: clear_failures
DELETE FROM login_failure WHERE name = %(name)s;

-- name: prune_failures
DELETE FROM login_failure WHERE at < now() - make_interval(secs => %(window)s);
