-- Identities and access lists, enforced twice: by the retrieval SQL (explicit filter on the caller's
-- principals, before ranking) and by row-level security for the `sourcier_reader` role (defence in depth).
--
-- A principal is a string: 'everyone', 'user:<name>', 'group:<name>' or 'role:admin'. Groups from an
-- identity provider (LDAP, OIDC claims) or from a source system become 'group:<name>' too.

CREATE TABLE users (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name           text NOT NULL UNIQUE CHECK (name ~ '^[a-z0-9][a-z0-9._@-]{0,63}$'),
    display_name   text,
    password_hash  text,                        -- argon2id; NULL: cannot sign in with a password
    is_admin       boolean NOT NULL DEFAULT false,
    disabled       boolean NOT NULL DEFAULT false,
    created_at     timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE groups (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name        text NOT NULL UNIQUE CHECK (name ~ '^[a-z0-9][a-z0-9._@-]{0,63}$'),
    origin      text NOT NULL DEFAULT 'local',  -- 'local', later 'ldap', 'oidc', or a source name
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE group_members (
    group_id  bigint NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    user_id   bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    PRIMARY KEY (group_id, user_id)
);
CREATE INDEX group_members_user ON group_members (user_id);

CREATE TABLE api_tokens (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id       bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name          text NOT NULL DEFAULT '',
    token_hash    bytea NOT NULL UNIQUE,         -- sha256 of a 256-bit random token; the token is shown once
    created_at    timestamptz NOT NULL DEFAULT now(),
    expires_at    timestamptz NOT NULL,
    revoked_at    timestamptz,
    last_used_at  timestamptz
);

-- Fail closed: a document with no rule is readable by admins only.
ALTER TABLE sources ADD COLUMN default_acl text[] NOT NULL DEFAULT '{role:admin}';
ALTER TABLE documents ADD COLUMN acl text[] NOT NULL DEFAULT '{role:admin}';
ALTER TABLE chunks ADD COLUMN acl text[] NOT NULL DEFAULT '{role:admin}';
CREATE INDEX documents_acl ON documents USING gin (acl);
CREATE INDEX chunks_acl ON chunks USING gin (acl);

-- The caller's principals, set per transaction by the query code with set_config(..., true).
CREATE FUNCTION sourcier_principals() RETURNS text[]
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT coalesce(string_to_array(nullif(current_setting('sourcier.principals', true), ''), ','), '{}') $$;

DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'sourcier_reader') THEN
        CREATE ROLE sourcier_reader NOLOGIN NOBYPASSRLS;
    END IF;
END $$;
GRANT sourcier_reader TO CURRENT_USER;
GRANT USAGE ON SCHEMA public TO sourcier_reader;
GRANT SELECT ON sources, documents, chunks, chunk_terms TO sourcier_reader;
GRANT EXECUTE ON FUNCTION sourcier_principals() TO sourcier_reader;

ALTER TABLE documents ENABLE ROW LEVEL SECURITY;
ALTER TABLE chunks ENABLE ROW LEVEL SECURITY;
ALTER TABLE chunk_terms ENABLE ROW LEVEL SECURITY;
-- The owner (the migrating role, which ingests) is not subject to these policies; the reader sees
-- only what the principals of the current transaction may read.
CREATE POLICY documents_read ON documents FOR SELECT TO sourcier_reader USING (acl && sourcier_principals());
CREATE POLICY chunks_read ON chunks FOR SELECT TO sourcier_reader USING (acl && sourcier_principals());
CREATE POLICY chunk_terms_read ON chunk_terms FOR SELECT TO sourcier_reader
    USING (document_id IN (SELECT id FROM documents));  -- documents' own policy applies inside
