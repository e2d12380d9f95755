"""Built-in objective functions for ``nnfw paths``, one plugin module each."""
