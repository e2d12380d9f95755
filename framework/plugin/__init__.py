"""The plugin model: kinds, entries, hyperparameters, loading, the registry and guarding plugin code."""
