"""The desk as a running process: configuration checked at startup, background tasks, operational endpoints, CLI."""
