"""Company directory: users and groups to invite (YAML/LDIF file, or LDAP)."""
