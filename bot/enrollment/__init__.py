"""Device enrollment invitations: drafts, batches, invitations, devices and licences."""
