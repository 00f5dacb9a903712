"""Forms of the grants screens, a module per concern."""
