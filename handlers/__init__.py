"""What the desk does: one module per capability, plus the request lifecycle they share."""
