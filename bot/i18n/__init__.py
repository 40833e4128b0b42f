"""What end users read: the languages deskops ships, their catalogs, dates in TIMEZONE."""
