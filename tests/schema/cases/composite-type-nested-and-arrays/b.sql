CREATE SCHEMA geo;
CREATE TYPE mood AS ENUM ('ok', 'meh');
CREATE DOMAIN positive AS int CHECK (VALUE > 0);
CREATE TYPE geo.point2 AS (x positive, y positive);
CREATE TYPE "Shape" AS (name text, corners geo.point2[], centre geo.point2, m mood);
CREATE TABLE t (id int, shape "Shape", shapes "Shape"[]);
