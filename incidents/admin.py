"""Incidents are worked in the desk; the admin lists them read-only for support."""
