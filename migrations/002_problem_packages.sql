-- Schema 2: problem packages. Test data is a tree of groups, each with problemtools' grading settings;
-- a version may carry a custom output validator; a time limit may be derived from the package's accepted
-- submissions (the version is 'calibrating' until then); results keep per-group verdicts and scores.

UPDATE problem_versions SET checker = 'default' WHERE checker = 'tokens';
ALTER TABLE problem_versions ALTER COLUMN checker SET DEFAULT 'default';
ALTER TABLE problem_versions ADD CONSTRAINT problem_versions_checker_check CHECK (checker IN ('default', 'kattis', 'testlib'));

ALTER TABLE problem_versions DROP CONSTRAINT problem_versions_scoring_check;
ALTER TABLE problem_versions ADD CONSTRAINT problem_versions_scoring_check CHECK (scoring IN ('pass-fail', 'scoring'));

ALTER TABLE problem_versions ALTER COLUMN time_limit_ms DROP NOT NULL;
ALTER TABLE problem_versions
    ADD COLUMN status                   text NOT NULL DEFAULT 'ready' CHECK (status IN ('calibrating', 'ready', 'failed')),
    ADD COLUMN status_message           text,
    -- The time limit was derived from the accepted submissions' run times (true) or given (false).
    ADD COLUMN time_limit_derived       boolean NOT NULL DEFAULT false,
    ADD COLUMN time_multiplier          double precision NOT NULL DEFAULT 2,
    ADD COLUMN time_resolution_ms       integer NOT NULL DEFAULT 1000,
    ADD COLUMN validation_time_ms       integer NOT NULL DEFAULT 60000,
    ADD COLUMN validation_memory_bytes  bigint NOT NULL DEFAULT 536870912,
    ADD COLUMN validator_language       text,
    -- The output validator writes score.txt (or points, for testlib), replacing the accept score.
    ADD COLUMN validator_scores         boolean NOT NULL DEFAULT false,
    ADD COLUMN max_score                double precision NOT NULL DEFAULT 1,
    ADD COLUMN package_format           text NOT NULL DEFAULT 'json',
    -- Of the imported package: re-importing the same package makes no new version.
    ADD COLUMN package_sha256           bytea,
    ADD CONSTRAINT problem_versions_ready_has_time_limit CHECK (status <> 'ready' OR time_limit_ms IS NOT NULL);

CREATE TABLE test_groups (
    id                      uuid PRIMARY KEY,
    problem_version_id      uuid NOT NULL REFERENCES problem_versions (id),
    parent_id               uuid REFERENCES test_groups (id),
    -- The group's directory: 'data', 'data/sample', 'data/secret/group1'.
    name                    text NOT NULL,
    -- Order among the parent's items, test cases and groups interleaved (problemtools sorts them by name).
    position                integer NOT NULL,
    stop_on_reject          boolean NOT NULL,
    verdict_mode            text NOT NULL CHECK (verdict_mode IN ('worst_error', 'first_error', 'always_accept')),
    accept_if_any_accepted  boolean NOT NULL,
    score_mode              text NOT NULL CHECK (score_mode IN ('sum', 'avg', 'min', 'max')),
    ignore_sample           boolean NOT NULL,
    accept_score            double precision NOT NULL,
    reject_score            double precision NOT NULL,
    range_min               double precision NOT NULL,
    range_max               double precision NOT NULL,
    output_validator_flags  text NOT NULL DEFAULT '',
    UNIQUE (problem_version_id, name)
);

-- Versions from schema 1 get one root group holding their test cases.
INSERT INTO test_groups (id, problem_version_id, parent_id, name, position, stop_on_reject, verdict_mode, accept_if_any_accepted,
                         score_mode, ignore_sample, accept_score, reject_score, range_min, range_max)
SELECT gen_random_uuid(), id, NULL, 'data', 1, true, 'worst_error', false, 'sum', false, 1, 0, '-Infinity', 'Infinity'
FROM problem_versions;

ALTER TABLE test_cases
    ADD COLUMN group_id  uuid REFERENCES test_groups (id),
    ADD COLUMN position  integer;
UPDATE test_cases t SET group_id = g.id, position = t.ordinal
FROM test_groups g WHERE g.problem_version_id = t.problem_version_id AND g.name = 'data';
ALTER TABLE test_cases ALTER COLUMN group_id SET NOT NULL, ALTER COLUMN position SET NOT NULL;

-- Source files of a version's output validator (content in test_files, by hash).
CREATE TABLE problem_version_files (
    problem_version_id  uuid NOT NULL REFERENCES problem_versions (id),
    role                text NOT NULL CHECK (role IN ('output_validator')),
    path                text NOT NULL,
    sha256              bytea NOT NULL REFERENCES test_files (sha256),
    PRIMARY KEY (problem_version_id, role, path)
);

ALTER TABLE submissions
    ADD COLUMN max_score     double precision,
    -- 'calibration': a package's accepted submission, judged to derive the version's time limit.
    ADD COLUMN purpose       text NOT NULL DEFAULT 'judge' CHECK (purpose IN ('judge', 'calibration')),
    ADD COLUMN package_path  text;

ALTER TABLE test_results ADD COLUMN score double precision;

CREATE TABLE group_results (
    submission_id  uuid NOT NULL REFERENCES submissions (id) ON DELETE CASCADE,
    group_id       uuid NOT NULL REFERENCES test_groups (id),
    verdict        text NOT NULL,
    score          double precision NOT NULL,
    max_score      double precision NOT NULL,
    PRIMARY KEY (submission_id, group_id)
);
