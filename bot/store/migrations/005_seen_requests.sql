-- Every signed Slack request the bot has accepted in the last few minutes, so a replay of the
-- same bytes (same X-Slack-Request-Timestamp, same body: the signature is still valid for five
-- minutes) is recognised and dropped instead of starting a second run or recording a second
-- decision. In Socket Mode (no signature) the key is the envelope id.
--
-- digest: sha256 over "v0:<timestamp>:<raw body>" (HTTP) or "socket:<envelope id>".
-- The first INSERT … ON CONFLICT DO NOTHING wins; rows older than ten minutes are pruned (Slack
-- refuses signatures older than five, so a pruned request can no longer be replayed).
CREATE TABLE align_seen_request (
    digest   bytea PRIMARY KEY,
    kind     text NOT NULL,                 -- command | block_actions | view_submission | …
    seen_at  timestamptz NOT NULL
);
CREATE INDEX align_seen_request_seen_at ON align_seen_request (seen_at);
