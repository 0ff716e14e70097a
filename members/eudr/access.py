"""Who does what on the EUDR staff pages: record geometries and declarations; export; read the map."""

from cooperative.access import Role

EUDR_EDITORS = frozenset({Role.MANAGER, Role.TECHNICIAN})
EUDR_EXPORTERS = frozenset({Role.MANAGER})
EUDR_MAP_READERS = frozenset({Role.MANAGER, Role.TECHNICIAN, Role.ICS_COORDINATOR})
