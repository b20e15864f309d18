"""Tables of the Service levels practice (none yet: they come with the practice's issue)."""
