-- Keep passage vectors inside their row (see docs/benchmarks.md). pgvector's type
-- defaults to EXTERNAL storage, and a passage row (a 1.5 kB vector at 384 dimensions, text, tsvector) is
-- over the 2 kB TOAST threshold, so every vector lived in the TOAST table and the vector leg's exact scan
-- of a small audience paid one TOAST lookup per passage. MAIN keeps the vector inline and moves the
-- compressible text and tsvector out instead. Setting the storage alone would leave the rows already
-- there as they are: the same-type ALTER ... USING (through text, which round-trips float4 exactly)
-- rewrites them once, indexes included, in the same statement so that the rewrite uses MAIN.
DO $$
BEGIN
    IF (SELECT attstorage FROM pg_attribute WHERE attrelid = 'chunks'::regclass AND attname = 'embedding') <> 'm' THEN
        ALTER TABLE chunks
            ALTER COLUMN embedding TYPE vector USING (embedding::text)::vector,
            ALTER COLUMN embedding SET STORAGE MAIN;
    END IF;
END $$;
