"""Models of the drives area."""
