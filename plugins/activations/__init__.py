"""Built-in activations, one plugin module each."""
