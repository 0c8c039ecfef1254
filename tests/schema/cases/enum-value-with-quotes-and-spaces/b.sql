CREATE TYPE "my enum" AS ENUM ('it''s', 'new ''one''', 'two words');
