"""The ground (territory, projections, adjacency, places, patients, storage) and the sector engine.

Pure functions on GeoDataFrames and arrays; the app and the CLI call them.

Modules
-------
territory    Territory (one object, every view built lazily and kept), territory() the process-wide one;
             load_units, load_departements, reference_points (its views)
adjacency    unit_edges, neighbours, adjacency_components, territory_info
lookup       gazetteer, normalize_name, normalize_postal_code: by INSEE code (old codes too), postal code, name
resolver     resolve, resolve_fields, resolve_many: what people type -> the unit, or ranked candidates and why
             (the one place resolver of every input)
patients     import_patients, read_counts, write_counts: hospital exports to counts per unit;
             read_table, place_rows: its reading and placement steps
sectors      the sector engine: propose, Plan (incremental metrics), rebalance, versions, exports
display      simplified display geometry and GeoJSON for the map
projections  LAMBERT93, WGS84, to_lambert93
database     the embedded SQLite file
errors       SecteursError: a code and parameters (French text in app.messages)
paths        where data, caches and the database live
"""
