CREATE TYPE money_amount AS (amount numeric, currency char(3));
CREATE TABLE payments (id int PRIMARY KEY, paid money_amount);
