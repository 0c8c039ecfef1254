CREATE TYPE "my enum" AS ENUM ('it''s', 'two words');
