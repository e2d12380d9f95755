"""Built-in regularizers, one plugin module each."""
