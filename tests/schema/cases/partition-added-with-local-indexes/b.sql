CREATE TABLE s (id int, at date, v text) PARTITION BY RANGE (at);
CREATE TABLE s_2024 PARTITION OF s FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE INDEX s_at ON s (at);
-- new partition: its copy of s_at renamed, plus a local index of its own
CREATE TABLE s_2025 PARTITION OF s FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
ALTER INDEX s_2025_at_idx RENAME TO s_2025_by_at;
CREATE INDEX s_2025_v ON s_2025 (v);
-- another new partition keeps the generated name
CREATE TABLE s_2026 PARTITION OF s FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
CREATE UNIQUE INDEX s_2026_id ON s_2026 (id);
