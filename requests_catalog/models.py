"""Tables of the Service requests and catalog practice (none yet: they come with the practice's issue)."""
