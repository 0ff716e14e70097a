"""Reads of the certifications app, one module per sub-domain. Each selector owns its joins and annotations and
states its query cost."""
