"""Server-side drafts for multi-step modals (a view's private_metadata holds 3,000 characters)."""
