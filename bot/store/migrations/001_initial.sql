-- align-bot state store, version 1: runs, their steps, review decisions, recovery actions and
-- the audit log. Everything the report needs is here.

CREATE TABLE align_run (
    id              text PRIMARY KEY,
    target          text NOT NULL,
    mode            text NOT NULL,
    state           text NOT NULL,
    requested_by    text NOT NULL,
    requested_via   text NOT NULL,
    channel         text,
    message_ts      text,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    finished_at     timestamptz,
    git_commit      text,
    sql_text        text,
    sql_sha256      text,
    prod_fingerprint text,
    snapshot_id     text,
    approval_expires_at timestamptz,
    remind_at       timestamptz,
    outcome         text,
    error           text,
    resumed_from    text REFERENCES align_run (id),
    data            jsonb NOT NULL DEFAULT '{}'::jsonb
);

-- One active run per target: the database itself refuses a second one.
CREATE UNIQUE INDEX align_run_one_active_per_target ON align_run (target)
    WHERE state NOT IN ('done', 'rejected', 'cancelled', 'failed', 'interrupted', 'deferred');
CREATE INDEX align_run_target_created ON align_run (target, created_at DESC);
CREATE INDEX align_run_state ON align_run (state);

CREATE TABLE align_step (
    run_id       text NOT NULL REFERENCES align_run (id) ON DELETE CASCADE,
    name         text NOT NULL,
    attempt      integer NOT NULL DEFAULT 1,
    status       text NOT NULL,            -- running | succeeded | failed | skipped | not_run
    started_at   timestamptz NOT NULL DEFAULT now(),
    finished_at  timestamptz,
    exit_code    integer,
    output_tail  text,
    detail       jsonb NOT NULL DEFAULT '{}'::jsonb,
    PRIMARY KEY (run_id, name, attempt)
);

CREATE TABLE align_decision (
    id               bigserial PRIMARY KEY,
    run_id           text NOT NULL REFERENCES align_run (id) ON DELETE CASCADE,
    decision         text NOT NULL,         -- approved | rejected | deferred
    user_id          text NOT NULL,
    reason           text,
    sql_sha256       text,
    prod_fingerprint text,
    snapshot_id      text,
    git_commit       text,
    remind_at        timestamptz,
    created_at       timestamptz NOT NULL DEFAULT now()
);
-- A reviewer approves a given plan at most once (double clicks change nothing).
CREATE UNIQUE INDEX align_decision_once ON align_decision (run_id, user_id, decision, sql_sha256);

CREATE TABLE align_recovery (
    id          bigserial PRIMARY KEY,
    run_id      text NOT NULL REFERENCES align_run (id) ON DELETE CASCADE,
    action      text NOT NULL,              -- restored_snapshot | re_ran | manual_intervention
    user_id     text NOT NULL,
    note        text,
    detail      jsonb NOT NULL DEFAULT '{}'::jsonb,
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE align_audit (
    id          bigserial PRIMARY KEY,
    at          timestamptz NOT NULL DEFAULT now(),
    actor       text NOT NULL,
    action      text NOT NULL,
    run_id      text,
    target      text,
    sql_sha256  text,
    detail      jsonb NOT NULL DEFAULT '{}'::jsonb
);
CREATE INDEX align_audit_run ON align_audit (run_id, id);
