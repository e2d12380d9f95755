"""Built-in datasets, one plugin module each."""
