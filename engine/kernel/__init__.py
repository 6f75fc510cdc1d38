"""The words and rules every layer shares: errors, the clock, settings, the vocabulary, safe XML,
passwords, sheets. No database, no SpiffWorkflow."""
