"""The plugins that ship with nnfw, each registered under its own entry point."""
