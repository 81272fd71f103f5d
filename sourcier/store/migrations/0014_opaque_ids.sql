-- Opaque ids for everything a user sees in a URL or an API body (documents, passages, conversations,
-- answers, feedback, traces, API tokens). Sequential ids told a user that hidden documents exist and how
-- many (the gaps between the ids they can read), and how many answers everybody else got. Why this way
-- and not UUIDs: docs/adr/0004-access-control.md, "Decided: opaque ids".
--
-- Each table keeps a plain counter, and its id is the counter passed through a keyed permutation of
-- [0, 2^52) (a 4-round Feistel network whose round function is SHA-256 of a per-installation key made
-- here and of the table's name, so that equal counters of two tables give unrelated ids), moved up by
-- 2^52. So ids stay unique without a retry loop (a permutation has no collisions), they stay bigints
-- below 2^53 (exact as JavaScript numbers), they never meet the small sequential ids of rows written
-- before this migration, and without the key nobody can tell one counter value from the next. The key is
-- written into the function's body: anyone who may read this database's catalogue may read it, which is
-- no one an employee using the chat or the API is.
--
-- Nothing may order by these ids where a user sees the order: recency goes by created_at, and retrieval
-- breaks equal scores by content (sourcier/store/search/_ties.py).
--
-- A database that ran this migration under its first number (0012_opaque_ids, on main for a few hours)
-- already has it all: it is left as it is, its key included (a new key would change no stored id, but
-- the ids it gives from now on would no longer be those of the old function).
DO $migration$
DECLARE
    key text := replace(gen_random_uuid()::text, '-', '') || replace(gen_random_uuid()::text, '-', '');
    t text;
BEGIN
    IF to_regprocedure('opaque_id(bigint, text)') IS NOT NULL THEN
        RETURN;
    END IF;
    EXECUTE format($fn$
CREATE FUNCTION opaque_id(counter bigint, kind text) RETURNS bigint
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $body$
DECLARE
    k constant bytea := decode(%L, 'hex');
    half constant bigint := 67108863;  -- 2^26 - 1
    l bigint := (counter >> 26) & half;
    r bigint := counter & half;
    h bytea;
    f bigint;
BEGIN
    IF counter < 0 OR counter >= 4503599627370496 THEN
        RAISE EXCEPTION 'opaque id counter out of range: %%', counter;
    END IF;
    FOR round IN 1..4 LOOP
        h := sha256(k || convert_to(kind, 'UTF8') || int2send(round::int2) || int8send(r));
        f := ((get_byte(h, 0)::bigint << 24) | (get_byte(h, 1)::bigint << 16)
              | (get_byte(h, 2)::bigint << 8) | get_byte(h, 3)::bigint) & half;
        SELECT r, l # f INTO l, r;
    END LOOP;
    RETURN 4503599627370496 + ((l << 26) | r);
END
$body$
$fn$, key);

    FOREACH t IN ARRAY ARRAY['documents', 'chunks', 'conversations', 'answers', 'feedback', 'traces', 'api_tokens']
    LOOP
        EXECUTE format('ALTER TABLE %I ALTER COLUMN id DROP IDENTITY', t);
        EXECUTE format('CREATE SEQUENCE %I AS bigint MINVALUE 0 START 0 OWNED BY %I.id', t || '_counter', t);
        EXECUTE format('ALTER TABLE %I ALTER COLUMN id SET DEFAULT opaque_id(nextval(%L), %L)', t, t || '_counter', t);
    END LOOP;

    -- A conversation's answers were listed by id; ids no longer say which came first.
    DROP INDEX answers_conversation;
    CREATE INDEX answers_conversation ON answers (conversation_id, created_at, id);
END
$migration$;
