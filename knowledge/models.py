"""Tables of the Knowledge practice (none yet: they come with the practice's issue)."""
