"""Render the Teams app manifest for one bot and zip the app package: `python -m manifest.build --bot-id <guid>`."""

from __future__ import annotations

import argparse
import json
import re
import sys
import zipfile
from pathlib import Path
from typing import Any

from manifest.icons import COLOR_FILE, OUTLINE_FILE

HERE = Path(__file__).resolve().parent
TEMPLATE = HERE / "manifest.template.json"
LOCALIZATION_FILES = ("pl-pl.json", "de-de.json")
ICON_FILES = (COLOR_FILE, OUTLINE_FILE)
PACKAGE_FILES = ("manifest.json", *ICON_FILES, *LOCALIZATION_FILES)
DEFAULT_OUT = Path("build") / "m365-desk.zip"
BOT_ID_PLACEHOLDER = "{{BOT_ID}}"
# The schema's own `guid` definition; a Bot Framework app id is an Entra application (client) id.
_GUID = re.compile(r"[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}")
_NIL_GUID = "00000000-0000-0000-0000-000000000000"
# Fixed timestamp for every zip entry, so the same inputs always give the same package bytes.
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)


class ManifestError(ValueError):
    """The bot id or the rendered manifest is not fit to package."""


def check_bot_id(bot_id: str) -> str:
    """The bot id, lower-cased, if it is a real GUID; otherwise ManifestError."""
    if not isinstance(bot_id, str) or not _GUID.fullmatch(bot_id.strip()):
        raise ManifestError(f"bot id must be a GUID like 1b4e28ba-2fa1-11d2-883f-0016d3cca427, got {bot_id!r}")
    normalized = bot_id.strip().lower()
    if normalized == _NIL_GUID:
        raise ManifestError("bot id must not be the nil GUID")
    return normalized


def _substitute(value: Any, bot_id: str) -> Any:
    if isinstance(value, str):
        return value.replace(BOT_ID_PLACEHOLDER, bot_id)
    if isinstance(value, list):
        return [_substitute(item, bot_id) for item in value]
    if isinstance(value, dict):
        return {key: _substitute(item, bot_id) for key, item in value.items()}
    return value


def render_manifest(bot_id: str) -> dict[str, Any]:
    """The manifest template with every `{{BOT_ID}}` replaced; refuses a bot id that is not a GUID."""
    normalized = check_bot_id(bot_id)
    manifest = _substitute(json.loads(TEMPLATE.read_text(encoding="utf-8")), normalized)
    leftover = re.findall(r"\{\{[^}]*\}\}", json.dumps(manifest))
    if leftover:
        raise ManifestError(f"unfilled placeholders in the manifest template: {sorted(set(leftover))}")
    return manifest


def _entry(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=_ZIP_TIME)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o644 << 16
    return info


def build_package(bot_id: str, out: Path) -> Path:
    """Write the app package (manifest.json, icons, localization files, all at the zip root) to `out`."""
    manifest = render_manifest(bot_id)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(out, "w") as package:
        package.writestr(_entry("manifest.json"), json.dumps(manifest, indent=2, ensure_ascii=False) + "\n")
        for name in (*ICON_FILES, *LOCALIZATION_FILES):
            package.writestr(_entry(name), (HERE / name).read_bytes())
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m manifest.build", description=__doc__)
    parser.add_argument("--bot-id", required=True, help="the bot's Microsoft App ID (Entra application id, a GUID)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"zip to write (default: {DEFAULT_OUT})")
    args = parser.parse_args(argv)
    try:
        written = build_package(args.bot_id, args.out)
    except ManifestError as error:
        parser.error(str(error))
    print(written)
    return 0


if __name__ == "__main__":
    sys.exit(main())
