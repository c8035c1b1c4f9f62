"""overt.agent."""
