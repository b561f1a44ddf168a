-- Judge schema 1: problems with immutable versions, deduplicated test files, submissions with per-test
-- results, API keys, worker heartbeats. Applied files never change; later changes are new numbered files.

CREATE TABLE api_keys (
    id          uuid PRIMARY KEY,
    name        text NOT NULL,
    -- SHA-256 of the whole key; the key itself is shown once, at creation, and never stored.
    key_hash    bytea NOT NULL UNIQUE,
    -- The first characters of the key, so an operator can tell keys apart in lists and logs.
    prefix      text NOT NULL,
    is_admin    boolean NOT NULL DEFAULT false,
    created_at  timestamptz NOT NULL DEFAULT now(),
    revoked_at  timestamptz
);

CREATE TABLE problems (
    id                  uuid PRIMARY KEY,
    slug                text NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9][a-z0-9-]{0,63}$'),
    title               text NOT NULL,
    created_at          timestamptz NOT NULL DEFAULT now(),
    current_version_id  uuid
);

-- A version is immutable: changing limits or tests makes a new version.
CREATE TABLE problem_versions (
    id                  uuid PRIMARY KEY,
    problem_id          uuid NOT NULL REFERENCES problems (id),
    number              integer NOT NULL CHECK (number > 0),
    time_limit_ms       integer NOT NULL CHECK (time_limit_ms > 0),
    memory_limit_bytes  bigint NOT NULL CHECK (memory_limit_bytes > 0),
    output_limit_bytes  bigint NOT NULL CHECK (output_limit_bytes > 0),
    -- 'tokens' = the Kattis default output validator; its flags (e.g. 'case_sensitive') in validator_flags.
    checker             text NOT NULL DEFAULT 'tokens',
    validator_flags     text NOT NULL DEFAULT '',
    scoring             text NOT NULL DEFAULT 'pass-fail' CHECK (scoring IN ('pass-fail')),
    created_at          timestamptz NOT NULL DEFAULT now(),
    UNIQUE (problem_id, number)
);

ALTER TABLE problems ADD FOREIGN KEY (current_version_id) REFERENCES problem_versions (id);

-- Test inputs and answers, stored once by content; workers cache them on disk by the same hash.
CREATE TABLE test_files (
    sha256   bytea PRIMARY KEY CHECK (length(sha256) = 32),
    size     bigint NOT NULL,
    content  bytea NOT NULL
);

CREATE TABLE test_cases (
    id                  uuid PRIMARY KEY,
    problem_version_id  uuid NOT NULL REFERENCES problem_versions (id),
    ordinal             integer NOT NULL CHECK (ordinal > 0),
    name                text NOT NULL,
    is_sample           boolean NOT NULL DEFAULT false,
    input_sha256        bytea NOT NULL REFERENCES test_files (sha256),
    answer_sha256       bytea NOT NULL REFERENCES test_files (sha256),
    UNIQUE (problem_version_id, ordinal)
);

CREATE TABLE submissions (
    id                  uuid PRIMARY KEY,
    api_key_id          uuid NOT NULL REFERENCES api_keys (id),
    problem_id          uuid NOT NULL REFERENCES problems (id),
    problem_version_id  uuid NOT NULL REFERENCES problem_versions (id),
    language            text NOT NULL,
    source              text NOT NULL,
    lane                text NOT NULL CHECK (lane IN ('interactive', 'batch')),
    status              text NOT NULL CHECK (status IN ('Queued', 'Judging', 'Done')),
    verdict             text CHECK (verdict IN ('Accepted', 'WrongAnswer', 'TimeLimitExceeded', 'MemoryLimitExceeded',
                                                'RuntimeError', 'OutputLimitExceeded', 'CompilationError', 'InternalError')),
    score               double precision,
    failing_test        integer,
    compile_output      text,
    error               text,
    -- The claim: which worker judges it, until when (renewed while judging), and how many claims so far.
    attempt             integer NOT NULL DEFAULT 0,
    worker_id           text,
    lease_expires_at    timestamptz,
    vm_id               text,
    accelerator         text,
    warm_pool_hit       boolean,
    queue_ms            integer,
    setup_ms            integer,
    boot_ms             integer,
    compile_ms          integer,
    execute_ms          integer,
    total_ms            integer,
    created_at          timestamptz NOT NULL DEFAULT now(),
    -- Set once the broker confirmed the judge command; the sweeper re-sends commands that never got there.
    published_at        timestamptz,
    publish_count       integer NOT NULL DEFAULT 0,
    judging_started_at  timestamptz,
    finished_at         timestamptz,
    CHECK ((status = 'Done') = (verdict IS NOT NULL))
);

CREATE INDEX submissions_unfinished ON submissions (status, created_at) WHERE status <> 'Done';
CREATE INDEX submissions_by_key ON submissions (api_key_id, created_at DESC);
CREATE INDEX submissions_by_problem ON submissions (problem_id, created_at DESC);

CREATE TABLE test_results (
    submission_id    uuid NOT NULL REFERENCES submissions (id) ON DELETE CASCADE,
    ordinal          integer NOT NULL,
    test_case_id     uuid NOT NULL REFERENCES test_cases (id),
    verdict          text NOT NULL,
    cpu_ms           integer NOT NULL,
    wall_ms          integer NOT NULL,
    memory_bytes     bigint NOT NULL,
    exit_code        integer,
    signal           integer,
    checker_message  text,
    output_excerpt   text,
    PRIMARY KEY (submission_id, ordinal)
);

CREATE TABLE worker_heartbeats (
    worker_id      text PRIMARY KEY,
    host_name      text NOT NULL,
    started_at     timestamptz NOT NULL,
    last_seen_at   timestamptz NOT NULL,
    accelerator    text NOT NULL,
    image_version  text,
    slots          integer NOT NULL,
    in_flight      integer NOT NULL,
    -- {"python": 2, ...}: idle warm VMs per language.
    warm_pool      jsonb NOT NULL DEFAULT '{}',
    -- {"python": "Python 3.11.2", ...}: compiler and runtime versions in the worker's guest image.
    languages      jsonb NOT NULL DEFAULT '{}'
);
