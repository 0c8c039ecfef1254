CREATE TABLE booking (room int, during tstzrange);
