"""Mail port: `file` (.eml files in a folder, the default) and `smtp` (STARTTLS/SMTPS, login)."""
