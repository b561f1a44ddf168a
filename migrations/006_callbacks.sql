-- Schema 6: callbacks and retention.
-- A key signs its callbacks with its own secret (shown once when made or rotated; kept here because signing needs it).
ALTER TABLE api_keys ADD COLUMN signing_secret text;

-- Where to POST the result when a submission, or a whole batch, ends (checked against the allow-list when given).
ALTER TABLE submissions ADD COLUMN callback_url text;
ALTER TABLE batches ADD COLUMN callback_url text;

-- One callback per submission or batch that named a URL and ended, made in the same transaction as the ending (or by the
-- catch-up job when that transaction could not know, e.g. a batch's last two submissions ending at once). Due while
-- next_attempt_at is set: an attempt takes it for a while (so a delivery job that dies is tried again), then clears it on
-- success or after the retry period, or sets it to the next retry.
CREATE TABLE callbacks (
    id               uuid PRIMARY KEY,
    submission_id    uuid UNIQUE REFERENCES submissions (id) ON DELETE CASCADE,
    batch_id         uuid UNIQUE REFERENCES batches (id) ON DELETE CASCADE,
    url              text NOT NULL,
    created_at       timestamptz NOT NULL DEFAULT now(),
    attempts         integer NOT NULL DEFAULT 0,
    next_attempt_at  timestamptz,
    delivered_at     timestamptz,
    gave_up_at       timestamptz,
    CHECK ((submission_id IS NULL) <> (batch_id IS NULL))
);

CREATE INDEX callbacks_due ON callbacks (next_attempt_at) WHERE next_attempt_at IS NOT NULL;

-- Every attempt, as GET …/deliveries shows it.
CREATE TABLE callback_attempts (
    callback_id   uuid NOT NULL REFERENCES callbacks (id) ON DELETE CASCADE,
    number        integer NOT NULL,
    started_at    timestamptz NOT NULL,
    duration_ms   integer NOT NULL,
    status_code   integer,
    error         text,
    PRIMARY KEY (callback_id, number)
);

-- The catch-up job's look for ended submissions with a URL but no callback.
CREATE INDEX submissions_with_callback ON submissions (finished_at) WHERE callback_url IS NOT NULL;

-- Retention deletes old submissions; a rejudge's copy outlives its original, losing only the link.
ALTER TABLE submissions DROP CONSTRAINT submissions_original_submission_id_fkey;
ALTER TABLE submissions ADD FOREIGN KEY (original_submission_id) REFERENCES submissions (id) ON DELETE SET NULL;
ALTER TABLE submissions DROP CONSTRAINT submissions_batch_id_fkey;
ALTER TABLE submissions ADD FOREIGN KEY (batch_id) REFERENCES batches (id) ON DELETE SET NULL;
CREATE INDEX submissions_ended ON submissions (finished_at) WHERE status IN ('Done', 'Cancelled');
