"""Authentication and authorisation shared by the API, the panel and the CLI."""
