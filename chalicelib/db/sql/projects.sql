-- name: list_projects
SELECT pid, name, 'survey_' || serial AS schema, groups, meta
FROM project
WHERE NOT archived
  AND (%(pids)s::text[] IS NULL OR pid = ANY (%(pids)s::text[]))
ORDER BY pid;

-- name: get_project
SELECT pid, name, 'survey_' || serial AS schema, groups, meta, configuration, archived, grid_unit, grid_unit_metres
FROM project
WHERE pid = %(pid)s;

-- name: create_project
INSERT INTO project (pid, name, groups, configuration, meta, grid_unit, grid_unit_metres)
VALUES (%(pid)s, %(name)s, %(groups)s, %(configuration)s, %(meta)s, %(grid_unit)s, %(grid_unit_metres)s)
RETURNING pid, name, 'survey_' || serial AS schema, groups, meta;

-- name: replace_configuration
UPDATE project
SET configuration = %(configuration)s, grid_unit = %(grid_unit)s, grid_unit_metres = %(grid_unit_metres)s,
    updated_on = now()
WHERE pid = %(pid)s
RETURNING pid;

-- name: set_grid_unit
-- Only when it differs: an import checking it does not lock the project row.
UPDATE project
SET grid_unit = %(grid_unit)s, grid_unit_metres = %(grid_unit_metres)s
WHERE pid = %(pid)s AND (grid_unit, grid_unit_metres) IS DISTINCT FROM (%(grid_unit)s, %(grid_unit_metres)s);

-- name: archive_project
UPDATE project
SET archived = true, updated_on = now()
WHERE pid = %(pid)s
RETURNING pid;

-- name: get_info
SELECT value
FROM project_info
WHERE pid = %(pid)s AND key = %(key)s;

-- name: put_info
INSERT INTO project_info (pid, key, value)
VALUES (%(pid)s, %(key)s, %(value)s)
ON CONFLICT (pid, key) DO UPDATE SET value = excluded.value, updated_on = now();

-- name: delete_info
DELETE FROM project_info
WHERE pid = %(pid)s AND key = %(key)s;

-- name: set_actor
-- Who changes data in this transaction (kept in the history rows written by the triggers of 0013).
SELECT set_config('dougal.actor', %(actor)s, true);

-- name: configuration_history
SELECT configuration, changed_by, changed_on FROM configuration_history WHERE pid = %(pid)s ORDER BY id;

-- name: info_history
SELECT value, deleted, changed_by, changed_on FROM info_history WHERE pid = %(pid)s AND key = %(key)s ORDER BY id;
