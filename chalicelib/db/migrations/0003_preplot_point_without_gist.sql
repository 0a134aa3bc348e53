-- Preplot points are found by (line, point), never by area: the GiST index on every point
-- cost a third of a million-point preplot import and served no query. Area queries (the
-- coverage map) will use line geometries instead.
DROP INDEX IF EXISTS preplot_point_geom;
