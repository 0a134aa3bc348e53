-- Grid units and true headings.
--
-- project.grid_unit / grid_unit_metres: the unit of the project grid's axes (configuration.grid.epsg) and
-- metres per unit, kept when the configuration is written (and checked at every import), so that the SQL
-- keeping line and sequence figures turns grid distances into metres without PROJ.
-- sequence.heading_raw / heading_final: the true (geodetic) azimuth from the first to the last shot on
-- WGS 84, next to the grid azimuth the API reports as `azimuth`.
ALTER TABLE project
    ADD COLUMN grid_unit text NOT NULL DEFAULT 'metre',
    ADD COLUMN grid_unit_metres double precision NOT NULL DEFAULT 1.0 CHECK (grid_unit_metres > 0);

ALTER TABLE sequence
    ADD COLUMN heading_raw double precision,
    ADD COLUMN heading_final double precision;
