"""Requests the desk files in its own name and whose approvers decide by choosing among actions on the kind's card
(orphan clean-ups, "Still needed?"): what such a kind declares (spec.py), filing once per day and once per resource
(filing.py), a choice turned into the request's plan and approved (choosing.py), reminders and escalation on the
business-hours clock (follow_up.py). The families keep only what differs: what they find, and what each choice does."""
