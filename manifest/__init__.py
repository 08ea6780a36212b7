"""Teams app package for M365 Desk: manifest template, localizations, icons and the packaging script."""
