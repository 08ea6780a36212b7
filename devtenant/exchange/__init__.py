"""Emulated Exchange Online admin API: InvokeCommand with a registry of cmdlets."""
