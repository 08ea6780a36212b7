"""The outside world: Microsoft Graph and Exchange Online behind narrow ports that speak our dataclasses."""
