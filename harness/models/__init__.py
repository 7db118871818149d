"""Models: the alias table, resolution of a name to a loadable source, architecture detection, built-in tiny models."""
