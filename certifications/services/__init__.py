"""Writes of the certifications app, one module per aggregate (certifications, checklists, inspections,
non_conformities, conflicts, sanctions, cafe, group_certificates), with the lifecycle's rules
(certification_rules), error reporting (errors) and history attribution (history) they share. Staff pages, the
API, imports and management commands call these functions; each validates everything first and writes nothing
when it raises ValidationError.
"""
