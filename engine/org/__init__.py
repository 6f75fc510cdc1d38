"""The org tree, people and roles, who may see which item, and their administration."""
