-- The Slack outbox: everything the bot owes Slack for a run (post the run message, re-render it,
-- post / update / close the review card, upload the SQL and the report, thread notes), written
-- here BEFORE it is attempted, so a restart or a dead replica loses nothing.
--
-- Delivery is in order per run: only the oldest pending row of a run (its head) may be claimed.
-- A replica claims a head by setting owner and lease_until (a lease, renewed while the call is in
-- flight); a lease that runs out (the replica died) makes the row claimable by any replica. The
-- answer Slack gave (message ts, file id) is kept in result. A retryable failure puts the row
-- back with not_before in the future (backoff); a permanent one marks it failed with the error,
-- and the queue of that run moves on.
CREATE TABLE align_slack_outbox (
    id           bigserial PRIMARY KEY,
    run_id       text NOT NULL REFERENCES align_run (id) ON DELETE CASCADE,
    kind         text NOT NULL,                 -- see bot/store/outbox.py: Owed
    payload      jsonb NOT NULL DEFAULT '{}'::jsonb,
    state        text NOT NULL DEFAULT 'pending'
                 CHECK (state IN ('pending', 'done', 'failed')),
    attempts     integer NOT NULL DEFAULT 0,
    not_before   timestamptz NOT NULL DEFAULT now(),
    owner        text,                           -- host:pid:nonce of the replica delivering it
    lease_until  timestamptz,
    result       jsonb,                          -- Slack's answer: {"ts": ...}, {"file_id": ...}
    error        text,
    created_at   timestamptz NOT NULL DEFAULT now(),
    finished_at  timestamptz
);
CREATE INDEX align_slack_outbox_pending ON align_slack_outbox (run_id, id)
    WHERE state = 'pending';
CREATE INDEX align_slack_outbox_run ON align_slack_outbox (run_id, id);
