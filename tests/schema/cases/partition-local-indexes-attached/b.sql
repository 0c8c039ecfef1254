CREATE TABLE m (id int, region text, at date) PARTITION BY LIST (region);
CREATE TABLE m_eu PARTITION OF m FOR VALUES IN ('eu');
CREATE TABLE m_us PARTITION OF m FOR VALUES IN ('us');
CREATE INDEX eu_by_id ON m_eu (id);
CREATE INDEX us_by_id ON m_us (id);
CREATE INDEX us_by_at ON m_us (at);
-- the local indexes are attached to a new partitioned index
CREATE INDEX m_id ON ONLY m (id);
ALTER INDEX m_id ATTACH PARTITION eu_by_id;
ALTER INDEX m_id ATTACH PARTITION us_by_id;
CREATE INDEX m_at ON ONLY m (at, id);
CREATE INDEX eu_at_id ON m_eu (at, id);
CREATE INDEX us_at_id ON m_us (at, id);
ALTER INDEX m_at ATTACH PARTITION eu_at_id;
ALTER INDEX m_at ATTACH PARTITION us_at_id;
