CREATE TABLE d (id int, owner_id bigint);
ALTER TABLE d ENABLE ROW LEVEL SECURITY;
CREATE POLICY own ON d USING (owner_id > 0);
