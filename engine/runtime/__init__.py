"""SpiffWorkflow (spiff.py), the analysts' restricted expressions and the task properties the
engine reads from diagrams. No database."""
