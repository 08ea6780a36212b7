"""The Teams edge: the Microsoft 365 Agents SDK on aiohttp — routes, identity, proactive messages, card updates."""
