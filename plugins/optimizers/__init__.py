"""Built-in optimizers, one plugin module each."""
