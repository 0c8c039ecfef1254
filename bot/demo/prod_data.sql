-- Production's rows (loaded after schema_v1.sql).
INSERT INTO users (email, name)
SELECT 'user' || g || '@example.com', 'User ' || g FROM generate_series(1, 500) AS g;
INSERT INTO sessions (id, user_id, expires_at)
SELECT md5(g::text)::uuid, 1 + g % 500, now() + interval '1 day' FROM generate_series(1, 800) AS g;
INSERT INTO invoices (user_id, amount, status, fax_number)
SELECT 1 + g % 500, 100 * g, (ARRAY['draft', 'sent', 'paid'])[1 + g % 3]::invoice_status,
       CASE WHEN g % 10 = 0 THEN '+1-555-' || g END
FROM generate_series(1, 1200) AS g;
INSERT INTO legacy_audit (note) SELECT 'old event ' || g FROM generate_series(1, 40) AS g;
