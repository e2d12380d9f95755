"""Built-in initializers, one plugin module each."""
