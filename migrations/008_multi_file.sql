-- Schema 8: multi-file submissions. A submission of several files keeps them all here, [{"name", "content"}], and its
-- entry point's text in source; a single-file submission has none.
ALTER TABLE submissions ADD COLUMN files jsonb;
ALTER TABLE submissions ADD COLUMN entry_point text; -- the file it starts from, when the submitter named it (judge verify names a directory's)
