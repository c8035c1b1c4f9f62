"""overt.train."""
