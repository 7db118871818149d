"""Task cards (declarative YAML) and the registry that finds them and the kinds that run them."""
