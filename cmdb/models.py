"""Tables of the Configuration management practice (none yet: they come with the practice's issue)."""
