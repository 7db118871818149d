"""Models: the alias table, resolution of a name to a loadable source, family detection, built-in tiny models."""
