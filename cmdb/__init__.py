"""Configuration management: the app is installed and migrates; its practice arrives with its own issue."""
