"""Stock rules shared by the API, the panel, the CSV import and the CLI."""
