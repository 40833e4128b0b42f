"""Builders of the /backup surface: modals, the user card, the users list, help."""
