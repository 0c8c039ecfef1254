CREATE TABLE existing (id int, owner text);
ALTER TABLE existing ENABLE ROW LEVEL SECURITY;
CREATE TABLE unforced (id int);
ALTER TABLE unforced ENABLE ROW LEVEL SECURITY;
ALTER TABLE unforced FORCE ROW LEVEL SECURITY;
CREATE TABLE secret (id int, owner text);
ALTER TABLE secret ENABLE ROW LEVEL SECURITY;
ALTER TABLE secret FORCE ROW LEVEL SECURITY;
CREATE POLICY own ON secret USING (owner = current_user);
-- forced but not enabled: FORCE alone is kept too
CREATE TABLE only_forced (id int);
ALTER TABLE only_forced FORCE ROW LEVEL SECURITY;
