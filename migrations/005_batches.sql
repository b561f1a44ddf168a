-- Schema 5: batches. A teacher's class of solutions to one problem, judged in the batch lane: a batch's submissions
-- carry its id and each its label (the student). Its state is derived, not stored: expanding until expanded_at, then
-- judging until every submission has ended, then done; cancelled once cancelled_at is set, which ends the submissions
-- not yet claimed as Cancelled (never judged, no verdict). A rejudge is a batch of copies of earlier submissions, each
-- linked to its original, judged against the problem's current version (or one named); the originals stay as they were.
CREATE TABLE batches (
    id                  uuid PRIMARY KEY,
    api_key_id          uuid NOT NULL REFERENCES api_keys (id),
    problem_id          uuid NOT NULL REFERENCES problems (id),
    problem_version_id  uuid NOT NULL REFERENCES problem_versions (id),
    item_count          integer NOT NULL CHECK (item_count > 0),
    rejudge             boolean NOT NULL DEFAULT false,
    created_at          timestamptz NOT NULL DEFAULT now(),
    expanded_at         timestamptz,
    cancelled_at        timestamptz
);

CREATE INDEX batches_by_key ON batches (api_key_id, created_at DESC);

-- An uploaded zip until its expansion (a Hangfire job) has made its submissions; then deleted.
CREATE TABLE batch_uploads (
    batch_id            uuid PRIMARY KEY REFERENCES batches (id),
    content             bytea NOT NULL
);

ALTER TABLE submissions ADD COLUMN batch_id uuid REFERENCES batches (id);
ALTER TABLE submissions ADD COLUMN label text;
ALTER TABLE submissions ADD COLUMN original_submission_id uuid REFERENCES submissions (id);
CREATE INDEX submissions_by_batch ON submissions (batch_id) WHERE batch_id IS NOT NULL;

ALTER TABLE submissions DROP CONSTRAINT submissions_status_check;
ALTER TABLE submissions ADD CONSTRAINT submissions_status_check CHECK (status IN ('Queued', 'Judging', 'Done', 'Cancelled'));
