"""overt.lab."""
