"""Every figure nnfw draws, with matplotlib, written atomically."""
