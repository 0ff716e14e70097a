"""EUDR (EU Deforestation Regulation, 2023/1115) geolocation of farms.

A farm is EUDR-ready when it is active and
- it has a checked boundary (Polygon or MultiPolygon), or a point and at most 4 ha (EUDR art. 2(28));
- its measured area is within 20% of the declared hectares, and its boundary overlaps no other active
  farm's beyond the tolerance (more than 0.01 ha and more than 1% of the smaller plot);
- its deforestation-free declaration exists and the land was not forest on 31 December 2020.
Otherwise its status is "missing geometry" (the first rule) or "flagged" (the others), with reasons.

- members.eudr.status: those rules (thresholds, the status as a SQL expression, the reasons in words), and
  refresh_eudr_status, which stores the status on the farm (Farm.eudr_status) in the transaction of every
  write that changes what it depends on (members.read_models reconciles it with the rows);
- members.eudr.geolocation: the writes, farm_set_geometry (a point or a boundary, checked, measured,
  compared and searched for overlaps) and farm_declare_land_use (the deforestation-free declaration);
- members.eudr.readiness: how many farms of a set are located and ready, per region and per program;
- members.eudr.geojson: the export file (GeoJSON, split under the EU's 25 MB limit);
- members.eudr.farm_map: the map's features;
- members.eudr.access: who records, exports and reads the map.
Which farms an export covers (a program, a region, farm ids, a delivery period) is deliveries.eudr. Staff
pages, the partner API and the field app call these.
"""
