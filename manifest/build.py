"""Render the Teams app package for one bot: the manifest from its template with the bot id filled in and the command
list taken from the registry of request kinds, the localization files with the commands' translations added, and
the icons, zipped: `python -m manifest.build --bot-id <guid>`."""

from __future__ import annotations

import argparse
import functools
import json
import re
import sys
import zipfile
from pathlib import Path
from typing import Any

from app import families
from kinds.family import ManifestCommand
from kinds.registry import Registry, build_registry
from manifest.icons import COLOR_FILE, OUTLINE_FILE

HERE = Path(__file__).resolve().parent
TEMPLATE = HERE / "manifest.template.json"
# The manifest's own strings are English; each localization file (its committed part holds the app's name and
# description) gets the commands' texts in its language.
DEFAULT_LANGUAGE = "en"
LOCALIZATIONS = {"pl-pl.json": "pl", "de-de.json": "de"}
LOCALIZATION_FILES = tuple(LOCALIZATIONS)
LANGUAGES = (DEFAULT_LANGUAGE, *LOCALIZATIONS.values())
ICON_FILES = (COLOR_FILE, OUTLINE_FILE)
PACKAGE_FILES = ("manifest.json", *ICON_FILES, *LOCALIZATION_FILES)
DEFAULT_OUT = Path("build") / "m365-desk.zip"
BOT_ID_PLACEHOLDER = "{{BOT_ID}}"
# Stands in the template for the whole command list, which the families declare (kinds.family.ManifestCommand).
COMMANDS_PLACEHOLDER = "{{{{COMMANDS:{scope}}}}}"
# The template's one bot has one command list per scope, in this order; a localization file addresses a command's
# strings by its list and place.
SCOPES = ("personal", "team")
_COMMAND_KEY = "bots[0].commandLists[{list}].commands[{index}].{field}"
# Teams' limits for a bot's command list, stricter than the schema's (which allows 128-character titles).
MAX_COMMANDS, TITLE_MAX, DESCRIPTION_MAX = 10, 32, 128
# The schema's own `guid` definition; a Bot Framework app id is an Entra application (client) id.
_GUID = re.compile(r"[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}")
_NIL_GUID = "00000000-0000-0000-0000-000000000000"
# Fixed timestamp for every zip entry, so the same inputs always give the same package bytes.
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)


class ManifestError(ValueError):
    """The bot id, the registry's commands or the rendered manifest are not fit to package."""


def check_bot_id(bot_id: str) -> str:
    """The bot id, lower-cased, if it is a real GUID; otherwise ManifestError."""
    if not isinstance(bot_id, str) or not _GUID.fullmatch(bot_id.strip()):
        raise ManifestError(f"bot id must be a GUID like 1b4e28ba-2fa1-11d2-883f-0016d3cca427, got {bot_id!r}")
    normalized = bot_id.strip().lower()
    if normalized == _NIL_GUID:
        raise ManifestError("bot id must not be the nil GUID")
    return normalized


def manifest_commands(registry: Registry, scope: str = "personal") -> tuple[ManifestCommand, ...]:
    """Every family's manifest commands for one scope in their order, each with a title and a description in every
    language within Teams' limits; otherwise ManifestError (Teams would refuse the package, or show it half
    translated)."""
    unknown = {command.scope for command in registry.manifest_commands()} - set(SCOPES)
    if unknown:
        raise ManifestError(f"manifest commands for scopes the bot does not declare: {sorted(unknown)}")
    commands = tuple(sorted((c for c in registry.manifest_commands() if c.scope == scope), key=lambda c: c.order))
    if len(commands) > MAX_COMMANDS:
        raise ManifestError(f"Teams allows at most {MAX_COMMANDS} commands in a list, not {len(commands)}")
    for command in commands:
        named = command.titles.get(DEFAULT_LANGUAGE) or command.titles
        _check_texts(f"command {named!r}: title", command.titles, TITLE_MAX)
        _check_texts(f"command {named!r}: description", command.descriptions, DESCRIPTION_MAX)
    return commands


def _check_texts(what: str, texts: dict[str, str], limit: int) -> None:
    for language in LANGUAGES:
        text = texts.get(language, "")
        if not text.strip():
            raise ManifestError(f"{what} missing in {language!r}")
        if len(text) > limit:
            raise ManifestError(f"{what} in {language!r} is longer than Teams' {limit} characters: {text!r}")


def _substitute(value: Any, bot_id: str, commands: dict[str, list[dict[str, str]]]) -> Any:
    for scope, listed in commands.items():
        if value == COMMANDS_PLACEHOLDER.format(scope=scope):
            return listed
    if isinstance(value, str):
        return value.replace(BOT_ID_PLACEHOLDER, bot_id)
    if isinstance(value, list):
        return [_substitute(item, bot_id, commands) for item in value]
    if isinstance(value, dict):
        return {key: _substitute(item, bot_id, commands) for key, item in value.items()}
    return value


def render_manifest(bot_id: str, registry: Registry) -> dict[str, Any]:
    """The manifest template with every `{{BOT_ID}}` replaced and the registry's commands (in English) in its command
    list; refuses a bot id that is not a GUID and commands Teams would not take."""
    normalized = check_bot_id(bot_id)
    commands = {
        scope: [
            {"title": command.titles[DEFAULT_LANGUAGE], "description": command.descriptions[DEFAULT_LANGUAGE]}
            for command in manifest_commands(registry, scope)
        ]
        for scope in SCOPES
    }
    manifest = _substitute(json.loads(TEMPLATE.read_text(encoding="utf-8")), normalized, commands)
    leftover = re.findall(r"\{\{[^}]*\}\}", json.dumps(manifest))
    if leftover:
        raise ManifestError(f"unfilled placeholders in the manifest template: {sorted(set(leftover))}")
    return manifest


def render_localization(name: str, registry: Registry) -> dict[str, str]:
    """One localization file as packaged: its committed strings, then each command's title and description in the
    file's language, keyed by the command's place in the manifest's list."""
    strings: dict[str, str] = json.loads((HERE / name).read_text(encoding="utf-8"))
    language = LOCALIZATIONS[name]
    for number, scope in enumerate(SCOPES):
        for index, command in enumerate(manifest_commands(registry, scope)):
            key = functools.partial(_COMMAND_KEY.format, list=number, index=index)
            strings[key(field="title")] = command.titles[language]
            strings[key(field="description")] = command.descriptions[language]
    return strings


def _json_bytes(document: dict[str, Any]) -> bytes:
    return (json.dumps(document, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def _entry(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=_ZIP_TIME)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o644 << 16
    return info


def build_package(bot_id: str, out: Path, registry: Registry) -> Path:
    """Write the app package (manifest.json, icons, localization files, all at the zip root) to `out`; nothing is
    written when the bot id or the registry's commands are refused."""
    contents = {
        "manifest.json": _json_bytes(render_manifest(bot_id, registry)),
        **{name: _json_bytes(render_localization(name, registry)) for name in LOCALIZATION_FILES},
        **{name: (HERE / name).read_bytes() for name in ICON_FILES},
    }
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(out, "w") as package:
        for name in PACKAGE_FILES:
            package.writestr(_entry(name), contents[name])
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m manifest.build", description=__doc__)
    parser.add_argument("--bot-id", required=True, help="the bot's Microsoft App ID (Entra application id, a GUID)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"zip to write (default: {DEFAULT_OUT})")
    args = parser.parse_args(argv)
    try:
        written = build_package(args.bot_id, args.out, build_registry(families()))
    except ManifestError as error:
        parser.error(str(error))
    print(written)
    return 0


if __name__ == "__main__":
    sys.exit(main())
