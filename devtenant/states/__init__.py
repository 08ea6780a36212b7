"""The emulated tenant's state, one class per service (directory, licensing, Exchange, Teams, apps, call log).

devtenant/state.py composes them into the TenantState the emulated services and tests use.
"""
