"""overt.models."""
