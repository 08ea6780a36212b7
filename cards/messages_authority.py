"""Refused clicks and decisions (who may see and decide a request), in English, Polish and German; merged into cards/i18n.py."""

from __future__ import annotations

from collections.abc import Mapping

# "authority.refused" is the one answer to anyone with no part in a request, and to a request that does not exist:
# it names no request, person or state, so it cannot tell the two apart.
MESSAGES: Mapping[str, Mapping[str, str]] = {
    "en": {
        "authority.refused": "I can't show or change that request: either it doesn't exist or you have no part in it. "
                             "Nothing was changed.",
        "authority.subject": "{request_id} changes your own access, so someone else has to decide it. "
                             "Nothing was changed.",
        "authority.own_seat_order": "You asked for seat order {request_id} yourself, so another person who places "
                                    "seat orders has to record it. Nothing was changed.",
        "authority.no_approvers": "Only the person this request is for could approve it, so I did not create it. "
                                  "Please ask an admin.",
    },
    "pl": {
        "authority.refused": "Nie mogę pokazać ani zmienić tego wniosku: albo nie istnieje, albo nie masz z nim "
                             "związku. Nic nie zostało zmienione.",
        "authority.subject": "Wniosek {request_id} zmienia Twoje własne uprawnienia, więc musi o nim zdecydować ktoś "
                             "inny. Nic nie zostało zmienione.",
        "authority.own_seat_order": "Zamówienie licencji {request_id} to Twój własny wniosek, więc musi je odnotować "
                                    "inna osoba składająca zamówienia. Nic nie zostało zmienione.",
        "authority.no_approvers": "Zatwierdzić ten wniosek mogłaby tylko osoba, której dotyczy, więc go nie "
                                  "utworzyłem. Zwróć się do administratora.",
    },
    "de": {
        "authority.refused": "Diesen Antrag kann ich weder anzeigen noch ändern: Entweder gibt es ihn nicht, oder Sie "
                             "sind nicht daran beteiligt. Es wurde nichts geändert.",
        "authority.subject": "{request_id} ändert Ihre eigenen Berechtigungen, daher muss jemand anderes darüber "
                             "entscheiden. Es wurde nichts geändert.",
        "authority.own_seat_order": "Die Lizenzbestellung {request_id} haben Sie selbst beantragt, daher muss eine "
                                    "andere Person, die Bestellungen aufgibt, sie erfassen. Es wurde nichts geändert.",
        "authority.no_approvers": "Genehmigen könnte diesen Antrag nur die Person, die er betrifft, daher wurde er "
                                  "nicht angelegt. Bitte wenden Sie sich an einen Admin.",
    },
}
