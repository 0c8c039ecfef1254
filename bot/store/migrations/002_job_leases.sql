-- Scheduled jobs (bot/scheduler.py) and the drift watch's memory.
--
-- align_job_run: one row per job firing. Every replica's scheduler fires the same cron slot;
-- the first to insert (job, fired_at) runs the job, the others find the row and skip it, so a
-- job runs exactly once per firing however many replicas share this store.
CREATE TABLE align_job_run (
    job          text NOT NULL,
    fired_at     timestamptz NOT NULL,      -- the scheduled slot, truncated to the minute
    owner        text NOT NULL,             -- host:pid:nonce of the process that ran it
    started_at   timestamptz NOT NULL DEFAULT now(),
    finished_at  timestamptz,
    result       jsonb,
    PRIMARY KEY (job, fired_at)
);

-- align_drift_state: the last drift the watch saw per target, so it alerts once per distinct
-- drift (signature) and stays silent while nothing changes.
CREATE TABLE align_drift_state (
    target       text PRIMARY KEY,
    signature    text,                      -- NULL while in sync
    in_sync      boolean NOT NULL,
    statements   integer NOT NULL DEFAULT 0,
    checked_at   timestamptz NOT NULL,
    alerted_at   timestamptz
);
