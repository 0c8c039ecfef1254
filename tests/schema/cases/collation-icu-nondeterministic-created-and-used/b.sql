CREATE COLLATION case_insensitive (provider = icu, locale = 'und-u-ks-level2', deterministic = false);
CREATE COLLATION "German Phonebook" (provider = icu, locale = 'de-u-co-phonebk');
COMMENT ON COLLATION case_insensitive IS 'compares ignoring case';
CREATE TABLE users (id int PRIMARY KEY, email text COLLATE case_insensitive, name text COLLATE "German Phonebook");
CREATE UNIQUE INDEX users_email ON users (email);
