"""Supervision and assessment: figures, quotas and stars, call-backs, reviews, complaints,
overdue items, reports, the portal's rate limits."""
