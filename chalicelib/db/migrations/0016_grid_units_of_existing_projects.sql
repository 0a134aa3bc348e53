-- Projects configured before 0015: their grid's unit from PostGIS's copy of the EPSG definitions (the
-- configuration is written again, or a file imported, with PROJ's own figure).
UPDATE project p
SET grid_unit = u.unit, grid_unit_metres = u.metres
FROM (
    SELECT srid,
           CASE WHEN proj4text LIKE '%+units=us-ft%' THEN 'US survey foot'
                WHEN proj4text LIKE '%+units=ft%' THEN 'foot' END AS unit,
           CASE WHEN proj4text LIKE '%+units=us-ft%' THEN 1200.0 / 3937.0
                WHEN proj4text LIKE '%+units=ft%' THEN 0.3048 END AS metres
    FROM spatial_ref_sys
) u
WHERE p.configuration #>> '{grid,epsg}' ~ '^[0-9]{1,9}$'
  AND u.srid = (p.configuration #>> '{grid,epsg}')::integer
  AND u.unit IS NOT NULL;
