"""Asking (问事), the first procedure: the household register, visits and the needs diary, residents'
online requests. Sits between cases (a need may open an item) and read; nothing below imports it."""
