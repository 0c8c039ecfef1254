-- Which process drives a run, and when it last said so. Start-up recovery resolves only runs
-- whose driver has gone quiet, so a CLI `align run` or a second replica never marks a run that
-- is alive elsewhere as interrupted.
ALTER TABLE align_run ADD COLUMN owner text;
ALTER TABLE align_run ADD COLUMN heartbeat_at timestamptz;
