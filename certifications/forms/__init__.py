"""Forms and list filters of the certifications pages, one module per sub-domain (as the views)."""
