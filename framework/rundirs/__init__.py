"""Run directories: their files and summary, listing runs, and using a finished run."""
