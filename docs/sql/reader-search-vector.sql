-- Before a search with a vector leg: the reader role and settings, the HNSW list sized for the audience.
-- Rendered from sourcier/store/search/ with SearchParams() and a 384-dimension model; %(name)s are the
-- parameters bound at run time (`bind`). Do not edit: `python -m sourcier.store.search --render docs/sql`.
SELECT set_config('sourcier.principals', %(principals)s, true),
       set_config('hnsw.ef_search', (
    SELECT least(1000, greatest(%(ef_search)s::int,
                                round(%(ef_search)s::int / power(least(1, r.n / greatest(t.n, 1)), 0.25))))::int::text
    FROM (SELECT greatest(coalesce(sum(n_chunks), 0), 1)::float8 AS n FROM documents
          WHERE status = 'indexed' AND acl && %(principal_list)s::text[]) AS r,
         (SELECT reltuples::float8 AS n FROM pg_class WHERE oid = 'chunks'::regclass) AS t
), true),
       set_config('hnsw.iterative_scan', 'relaxed_order', true),
       -- Postings of common words run to tens of thousands of rows at 100k passages: keep them in memory.
       set_config('work_mem', '64MB', true),
       -- The row-level-security qual hides its selectivity from the planner (it reads a setting), which
       -- then prefers scanning every passage over the HNSW index, far slower (see docs/benchmarks.md).
       set_config('enable_seqscan', 'off', true),
       -- A statement of a few milliseconds never repays JIT compilation (tens of ms), which a server with
       -- a low `jit_above_cost` could otherwise start on the planner's row estimates.
       set_config('jit', 'off', true),
       set_config('role', 'sourcier_reader', true)
