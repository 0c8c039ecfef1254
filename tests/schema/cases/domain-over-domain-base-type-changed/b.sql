CREATE DOMAIN z_positive AS bigint CHECK (VALUE > 0);
CREATE DOMAIN a_small AS z_positive CHECK (VALUE < 100);
CREATE TABLE nums (n a_small);
