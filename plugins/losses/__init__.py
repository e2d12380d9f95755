"""Built-in losses, one plugin module each."""
