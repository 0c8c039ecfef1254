CREATE TABLE price (amount numeric(12,4), rate numeric(8,3));
