"""The process library (versions, deployment, validation, diffs), the item catalog and the
imported ledger history."""
