"""Models of the applications area."""
