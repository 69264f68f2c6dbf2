"""Demo company and the quick-start command; calls other domains only through their services."""
