-- Schema 9: one-shot runs, the jobs of the Jobe and Judge0 facades: a program without a problem, compiled and run once on
-- the stdin it came with, its stdout and stderr kept. Claimed and finished by a worker under a lease as submissions are.
CREATE TABLE runs (
    id                  uuid PRIMARY KEY,
    api_key_id          uuid REFERENCES api_keys (id), -- null: an anonymous loopback caller (a facade's keys are off there by default)
    facade              text NOT NULL,                 -- jobe | judge0: whose API made it, and so how it is answered
    language            text NOT NULL,
    files               jsonb NOT NULL,                -- [{"name", "content" (base64)}]; the program's and the job's data files
    entry_point         text NOT NULL,
    stdin               bytea NOT NULL,
    expected_output     bytea,                         -- Judge0: compared with stdout for Accepted / Wrong Answer
    syntax_check        boolean NOT NULL,              -- an interpreted language's syntax check runs first (a failure: compilation error)
    compile_args        text,                          -- shell text, as the facades take it; null: the language's own options
    link_args           text,
    interpreter_args    text,
    run_args            text,
    cpu_limit_ms        integer NOT NULL,
    wall_limit_ms       integer NOT NULL,
    memory_limit_bytes  bigint NOT NULL,               -- the cgroup's
    address_space_bytes bigint,                        -- RLIMIT_AS, for clients that expect malloc to fail (Jobe's)
    stack_bytes         bigint,
    file_size_bytes     bigint,                        -- RLIMIT_FSIZE: files the program writes
    max_processes       integer NOT NULL,
    output_limit_bytes  bigint NOT NULL,               -- stdout and stderr each
    output_limit_kills  boolean NOT NULL,              -- more output ends the run (Judge0's file size limit), or is dropped (Jobe's)
    lane                text NOT NULL,
    status              text NOT NULL,                 -- Queued, Running, Done
    verdict             text,
    exit_code           integer,
    signal              integer,
    stdout              bytea,
    stderr              bytea,
    compile_output      text,
    message             text,
    cpu_ms              integer,
    wall_ms             integer,
    memory_bytes        bigint,
    attempt             integer NOT NULL DEFAULT 0,
    worker_id           text,
    lease_expires_at    timestamptz,
    vm_id               text,
    isolation           text,
    callback_url        text,
    facade_request      jsonb,                         -- what the facade's client asked for in its own terms, to echo back (Judge0's fields)
    created_at          timestamptz NOT NULL,
    published_at        timestamptz,
    started_at          timestamptz,
    finished_at         timestamptz
);

-- The facades' overload check counts what no worker has taken yet; the sweeper looks for unsent and abandoned runs.
CREATE INDEX runs_waiting ON runs (created_at) WHERE status IN ('Queued', 'Running');
CREATE INDEX runs_ended ON runs (finished_at) WHERE status = 'Done';

-- Jobe's file cache: a file PUT once by its id (the client's choice, usually a hash) and named by later runs' file_list.
CREATE TABLE run_files (
    id          text PRIMARY KEY,
    content     bytea NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    used_at     timestamptz NOT NULL DEFAULT now()
);

-- A run's callback (Judge0's callback_url) goes through the same ledger as a submission's.
ALTER TABLE callbacks ADD COLUMN run_id uuid UNIQUE REFERENCES runs (id) ON DELETE CASCADE;
ALTER TABLE callbacks DROP CONSTRAINT callbacks_check;
ALTER TABLE callbacks ADD CONSTRAINT callbacks_one_subject CHECK (num_nonnulls(submission_id, batch_id, run_id) = 1);
