"""The mail family (F16): ``email me on|off`` (pl ``e-mail włącz|wyłącz``, de ``E-Mail an|aus``), each person's
choice whether the desk's notifications also come by e-mail."""

from __future__ import annotations

from kinds.family import Command, Family, HelpTopic, ManifestCommand
from kinds.mail.choice import handle_mail_choice, parse_mail_choice


def family() -> Family:
    return Family(
        name="mail",
        # Before "show …" (140), the catch-all; after the other personal choices (33–37).
        commands=(Command("email me", 38, parse_mail_choice, handle_mail_choice),),
        help=(HelpTopic(95, "help.mail"),),
        manifest=(
            ManifestCommand(
                order=90,
                titles={"en": "email me on", "pl": "e-mail włącz", "de": "E-Mail an"},
                descriptions={
                    "en": "Also get my messages about your requests by e-mail (email me off stops them)",
                    "pl": "Moje wiadomości o Twoich zgłoszeniach także e-mailem (e-mail wyłącz, aby zrezygnować)",
                    "de": "Meine Nachrichten zu Ihren Anfragen auch per E-Mail (E-Mail aus bestellt sie ab)",
                },
            ),
        ),
    )
