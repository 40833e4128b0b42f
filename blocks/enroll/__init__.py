"""Builders of the /enroll surface: the invitation modal, progress cards, status, pages' texts."""
