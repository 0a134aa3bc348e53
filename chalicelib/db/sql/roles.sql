-- Database roles. {role} and {password} are filled in with psycopg.sql (an identifier, a literal):
-- roles cannot be bound parameters. The values come from Secrets Manager, never from a request.

-- name: current_role
SELECT current_user AS name;

-- name: find_role
SELECT rolname, rolsuper, rolcreaterole, rolcreatedb FROM pg_roles WHERE rolname = %(role)s;

-- name: create_login_role
CREATE ROLE {role} WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS INHERIT
PASSWORD {password};

-- name: alter_login_role
ALTER ROLE {role} WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS INHERIT
PASSWORD {password};

-- name: grant_application_role
GRANT dougal_app TO {role};
