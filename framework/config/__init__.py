"""Settings: each slot's chosen plugin and the scalars, from defaults, config files and options."""
