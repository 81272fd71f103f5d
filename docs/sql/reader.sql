-- The reader role alone (other reads under row-level security).
-- Rendered from sourcier/store/search/ with SearchParams() and a 384-dimension model; %(name)s are the
-- parameters bound at run time (`bind`). Do not edit: `python -m sourcier.store.search --render docs/sql`.
SELECT set_config('sourcier.principals', %(principals)s, true), set_config('role', 'sourcier_reader', true)
