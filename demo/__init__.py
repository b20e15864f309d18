"""Demo and benchmark data across every practice (the one app allowed to import them all)."""
