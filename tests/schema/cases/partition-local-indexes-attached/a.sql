CREATE TABLE m (id int, region text, at date) PARTITION BY LIST (region);
CREATE TABLE m_eu PARTITION OF m FOR VALUES IN ('eu');
CREATE TABLE m_us PARTITION OF m FOR VALUES IN ('us');
-- local indexes only, one per partition, custom names
CREATE INDEX eu_by_id ON m_eu (id);
CREATE INDEX us_by_id ON m_us (id);
CREATE INDEX us_by_at ON m_us (at);
-- an existing partitioned index whose partition copies get other names in B
CREATE INDEX m_at ON m (at, id);
INSERT INTO m VALUES (1, 'eu', '2024-01-01'), (2, 'us', '2024-01-02');
