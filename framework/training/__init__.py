"""One training run: planning, building, the compiled loop, checkpoints, stopping, progress."""
