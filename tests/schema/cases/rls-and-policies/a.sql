CREATE TABLE doc (id int, owner text);
CREATE POLICY old_pol ON doc USING (true);
CREATE POLICY p_read ON doc FOR SELECT USING (owner = current_user);
