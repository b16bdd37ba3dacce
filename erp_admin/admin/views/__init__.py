"""The panel's model views, one module per area."""
