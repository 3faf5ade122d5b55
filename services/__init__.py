"""Services that combine the sector engine and the partner directory.

Layers run one way: ``geo`` (territory, places, patients, storage) at the
ground, then ``partners``, then ``geo.sectors``, then these services, then
``app`` (pages and CLI). Nothing here is imported by ``geo`` or ``partners``.

Modules
-------
routing      Routing, route_file, summary_text: referrals to sector, referent, group and nearest partners
coverage     distances, zone coverage, E2SFCA accessibility, white zones, tables by department/sector, ARS masking
reports      the ARS report (CSV/XLSX/PDF) and the sector sheet (PDF/HTML)
"""
