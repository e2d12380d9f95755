"""Built-in distribution strategies, one plugin module each."""
