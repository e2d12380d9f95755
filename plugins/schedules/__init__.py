"""Built-in schedules, one plugin module each."""
