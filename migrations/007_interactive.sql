-- Schema 7: interactive and multi-pass problems.
-- An interactive version's output validator is its interactor, run at once with the program, piped to it.
ALTER TABLE problem_versions ADD COLUMN interactive boolean NOT NULL DEFAULT false;
-- How many runs of the program a multi-pass version's validator may ask for per test case; 1 for every other version.
ALTER TABLE problem_versions ADD COLUMN validation_passes integer NOT NULL DEFAULT 1 CHECK (validation_passes >= 1);
