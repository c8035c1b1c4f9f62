"""overt.report."""
