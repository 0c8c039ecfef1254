CREATE TABLE m (id int, region text, note text) PARTITION BY LIST (region);
CREATE TABLE m_eu PARTITION OF m FOR VALUES IN ('eu');
CREATE TABLE m_apac PARTITION OF m FOR VALUES IN ('apac', 'jp');
CREATE INDEX m_id ON m (id);
CREATE INDEX m_note ON m (note);
