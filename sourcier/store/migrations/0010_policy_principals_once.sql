-- Row-level security on passages and documents reads the caller's principals once per statement, not
-- once per row (see docs/benchmarks.md). `sourcier_principals()` is STABLE, so PostgreSQL
-- may evaluate it for every row it checks (string_to_array of the setting each time: the vector leg's
-- exact scan checks 10,000 rows at 10% readable of 100k). Wrapped in a scalar subquery it becomes an
-- InitPlan, computed once; the rule itself is unchanged (the setting is fixed for the transaction).
ALTER POLICY documents_read ON documents USING (acl && (SELECT sourcier_principals()));
ALTER POLICY chunks_read ON chunks USING (acl && (SELECT sourcier_principals()));
