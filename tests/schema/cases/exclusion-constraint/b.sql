CREATE TABLE booking (room int, during tstzrange, CONSTRAINT no_overlap EXCLUDE USING gist (during WITH &&));
