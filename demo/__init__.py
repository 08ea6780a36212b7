"""The local demo: the Playground windows and the one-command runner behind `make demo`."""
