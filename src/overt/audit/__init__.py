"""overt.audit."""
