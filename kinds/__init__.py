"""Request kinds, each in one home: a family module declares its kinds, commands, verbs, typed plan steps and card
hooks; the registry built in app.py is what the rest of the desk iterates over."""
