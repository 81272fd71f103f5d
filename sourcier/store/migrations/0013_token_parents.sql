-- A token created with another token records that parent: it can never outlive it, and revoking the
-- parent revokes what was made with it (a stolen token cannot leave longer-lived copies behind).
-- Tokens made from a web session or the CLI have none.
ALTER TABLE api_tokens ADD COLUMN parent_id bigint REFERENCES api_tokens (id) ON DELETE SET NULL;
CREATE INDEX api_tokens_parent ON api_tokens (parent_id) WHERE parent_id IS NOT NULL;

-- Sign-in throttling counts failures per (user name, client address) and per address, no longer per
-- user name alone (which let anyone lock any account out).
DROP INDEX sign_in_attempts_user;
CREATE INDEX sign_in_attempts_pair ON sign_in_attempts (username, client_ip, at);
