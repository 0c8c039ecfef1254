-- Plans: every diff produces an immutable plan, and reviewers decide on a plan, never on a run.
--
-- A plan holds the exact SQL bytes that will be applied (sha256 over those bytes), production's
-- schema fingerprint when it was made, the snapshot that can restore production to that point
-- (and the fingerprint production had when the snapshot was taken), the git commit of the
-- checkout, the analyzer's verdict, and why it cannot be applied, if it cannot. A re-diff creates
-- a new plan and marks the previous one superseded in the same transaction; align_run.plan_id
-- names the run's current plan. Buttons, modals and terminal prompts carry the plan id, and a
-- decision for any plan but the run's current, unexpired one is refused.
CREATE TABLE align_plan (
    id                   text PRIMARY KEY,          -- <run id>.p<seq>, e.g. 20261201-3f9a1c.p2
    run_id               text NOT NULL REFERENCES align_run (id) ON DELETE CASCADE,
    seq                  integer NOT NULL,
    sql_bytes            bytea NOT NULL,
    sql_sha256           text NOT NULL,
    prod_fingerprint     text NOT NULL,
    snapshot_id          text,
    snapshot_fingerprint text,
    snapshot_taken_at    timestamptz,
    git_commit           text,
    verdict              text NOT NULL,
    unappliable          jsonb NOT NULL DEFAULT '[]'::jsonb,
    created_at           timestamptz NOT NULL DEFAULT now(),
    expires_at           timestamptz,
    superseded_at        timestamptz,
    superseded_by        text REFERENCES align_plan (id),
    superseded_why       text,
    UNIQUE (run_id, seq)
);

ALTER TABLE align_run ADD COLUMN plan_id text REFERENCES align_plan (id);
-- The database a run works on (system identifier / database name), whatever the target is
-- called: two target names for one database exclude each other.
ALTER TABLE align_run ADD COLUMN database_key text;
CREATE UNIQUE INDEX align_run_one_active_per_database ON align_run (database_key)
    WHERE database_key IS NOT NULL
      AND state NOT IN ('done', 'rejected', 'cancelled', 'failed', 'interrupted', 'deferred');

-- Decisions are bound to a plan: a reviewer approves a given plan at most once, and a re-diff
-- that happens to produce the same bytes is still a new plan needing its own decision.
ALTER TABLE align_decision ADD COLUMN plan_id text REFERENCES align_plan (id);
DROP INDEX align_decision_once;
CREATE UNIQUE INDEX align_decision_once_per_plan ON align_decision (plan_id, user_id, decision)
    WHERE plan_id IS NOT NULL;

ALTER TABLE align_audit ADD COLUMN plan_id text;
