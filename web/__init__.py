"""Daiban's web layer: turns HTTP into engine commands and renders results. No business rules here."""
