"""The Teams app package as built: manifest valid against schema 1.22, ids filled in, the command list and its
translations rendered from the registry's families, icons, localizations and zip contents."""

from __future__ import annotations

import copy
import dataclasses
import json
import re
import struct
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft4Validator, Draft6Validator
from jsonschema.protocols import Validator
from jsonschema.validators import extend

from handlers.commands import ShowHelp, ShowMyRequests, ShowSla, parse
from kinds.delegation.commands import Delegate
from kinds.digest.commands import SetDigest
from kinds.digest.schedule import DAILY
from kinds.family import Family, ManifestCommand
from kinds.incidents.commands import ReportProblem
from kinds.licenses.commands import RequestLicense, ShowPlans
from kinds.lists.commands import JoinList
from kinds.mail.choice import MailChoiceCommand
from kinds.registry import Parsed, Registry, build_registry
from manifest import build, icons
from manifest.build import PACKAGE_FILES, ManifestError, build_package, main, render_localization, render_manifest
from tests.unit.conftest import command_of

BOT_ID = "1b4e28ba-2fa1-11d2-883f-0016d3cca427"
DATA = Path(__file__).parents[1] / "data"
MANIFEST_DIR = Path(build.__file__).resolve().parent
LOCALES = ("pl-pl", "de-de")
COMMAND_KEY = re.compile(r"^bots\[0\]\.commandLists\[0\]\.commands\[(\d)\]\.(title|description)$")
# Teams' limits for bot commands (stricter than the schema's 128 / 4000).
TITLE_MAX, COMMAND_DESCRIPTION_MAX = 32, 128
# The parts of microsoft/json-schemas teams/v1.22/MicrosoftTeams.Localization.schema.json (MIT) that our files use,
# transcribed; keys the full schema would allow for tabs, message extensions and the like are refused here.
_NON_EMPTY = {"type": "string", "pattern": r"^(?![nN][uU][lL]{2}$)\s*\S.*"}
LOCALIZATION_SCHEMA: dict[str, Any] = {
    "$schema": "http://json-schema.org/draft-04/schema#",
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "$schema": {"type": "string", "format": "uri"},
        "name.short": {**_NON_EMPTY, "maxLength": 30},
        "name.full": {**_NON_EMPTY, "maxLength": 100},
        "description.short": {**_NON_EMPTY, "maxLength": 80},
        "description.full": {**_NON_EMPTY, "maxLength": 4000},
    },
    "patternProperties": {
        r"^bots\[0\]\.commandLists\[[0-2]\]\.commands\[[0-9]\]\.title$": {"type": "string", "maxLength": 128},
        r"^bots\[0\]\.commandLists\[[0-2]\]\.commands\[[0-9]\]\.description$": {"type": "string", "maxLength": 4000},
    },
    "required": ["name.short", "description.short", "description.full"],
}


# The manifest schema declares draft-04 but pins `manifestVersion` with `const` (draft-06), its only later keyword;
# draft-04 validators skip keywords they do not know, so `const` is taken from draft-06 to make that pin count.
ManifestValidator = extend(Draft4Validator, {"const": Draft6Validator.VALIDATORS["const"]})


@pytest.fixture(scope="module")
def validator() -> Validator:
    schema = json.loads((DATA / "teams-manifest-1.22.schema.json").read_text(encoding="utf-8"))
    Draft4Validator.check_schema(schema)
    return ManifestValidator(schema)


@pytest.fixture(scope="module")
def package(tmp_path_factory: pytest.TempPathFactory, registry: Registry) -> Path:
    return build_package(BOT_ID, tmp_path_factory.mktemp("package") / "m365-desk.zip", registry)


def _packaged(package: Path, name: str) -> Any:
    with zipfile.ZipFile(package) as archive:
        return json.loads(archive.read(name))


@pytest.fixture()
def manifest(package: Path) -> dict[str, Any]:
    return _packaged(package, "manifest.json")


@pytest.fixture()
def localizations(package: Path) -> dict[str, dict[str, str]]:
    """locale → the localization file as packaged (its committed strings and the rendered commands)."""
    return {locale: _packaged(package, f"{locale}.json") for locale in LOCALES}


def _committed(locale: str) -> dict[str, str]:
    return json.loads((MANIFEST_DIR / f"{locale}.json").read_text(encoding="utf-8"))


def _errors(validator: Validator, document: dict[str, Any]) -> list[str]:
    return [f"{'/'.join(map(str, error.absolute_path))}: {error.message}" for error in validator.iter_errors(document)]


# --- the manifest ---------------------------------------------------------------------------------------------------


def test_rendered_manifest_validates_against_the_1_22_schema(validator: Validator, manifest: dict[str, Any]) -> None:
    assert _errors(validator, manifest) == []
    assert manifest["manifestVersion"] == "1.22"
    assert manifest["$schema"] == "https://developer.microsoft.com/json-schemas/teams/v1.22/MicrosoftTeams.schema.json"


@pytest.mark.parametrize(
    ("breakage", "where"),
    [
        (lambda m: m["bots"][0].pop("botId"), "bots/0: 'botId' is a required property"),
        (lambda m: m["bots"][0].update(botId="my-bot"), "bots/0/botId"),
        (lambda m: m.update(manifestVersion="1.30"), "manifestVersion: '1.22' was expected"),
        (lambda m: m.update(packageName="com.example.m365desk"), "'packageName' was unexpected"),
        (lambda m: m["description"].update(short="x" * 81), "description/short"),
        (lambda m: m["bots"][0].update(scopes=["personal", "everywhere"]), "bots/0/scopes/1"),
        (lambda m: m.pop("icons"), "'icons' is a required property"),
        (lambda m: m["developer"].update(privacyUrl="example.com/privacy"), "developer/privacyUrl"),
    ],
    ids=[
        "no-botId",
        "botId-not-guid",
        "other-version",
        "unknown-key",
        "long-description",
        "bad-scope",
        "no-icons",
        "url-not-https",
    ],
)
def test_schema_check_bites_on_a_broken_manifest(
    validator: Validator, manifest: dict[str, Any], breakage: Any, where: str
) -> None:
    broken = copy.deepcopy(manifest)
    breakage(broken)
    errors = _errors(validator, broken)
    assert any(where in error for error in errors), errors


def test_bot_id_is_substituted_everywhere(manifest: dict[str, Any]) -> None:
    assert manifest["id"] == BOT_ID
    assert manifest["bots"][0]["botId"] == BOT_ID
    assert manifest["webApplicationInfo"] == {"id": BOT_ID, "resource": f"api://botid-{BOT_ID}"}
    rendered = json.dumps(manifest)
    assert "{{" not in rendered and "BOT_ID" not in rendered
    template = (MANIFEST_DIR / "manifest.template.json").read_text(encoding="utf-8")
    assert rendered.count(BOT_ID) == template.count("{{BOT_ID}}") == 4


def test_bot_id_is_normalised_to_lower_case(registry: Registry) -> None:
    assert render_manifest(f"  {BOT_ID.upper()} ", registry)["id"] == BOT_ID


@pytest.mark.parametrize(
    "bad_id",
    [
        "",
        "not-a-guid",
        "{{BOT_ID}}",
        f"{{{BOT_ID}}}",
        f"{BOT_ID}0",
        BOT_ID[:-1],
        BOT_ID.replace("-", ""),
        f"{BOT_ID}\n{BOT_ID}",
        "00000000-0000-0000-0000-000000000000",
        "1b4e28ba-2fa1-11d2-883f-0016d3ccaz27",
    ],
)
def test_a_bad_bot_id_is_refused(bad_id: str, tmp_path: Path, registry: Registry) -> None:
    with pytest.raises(ManifestError):
        render_manifest(bad_id, registry)
    with pytest.raises(ManifestError):
        build_package(bad_id, tmp_path / "app.zip", registry)
    assert not (tmp_path / "app.zip").exists()


def test_a_template_placeholder_left_unfilled_is_refused(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, registry: Registry
) -> None:
    template = json.loads((MANIFEST_DIR / "manifest.template.json").read_text(encoding="utf-8"))
    template["developer"]["websiteUrl"] = "https://{{WEBSITE_HOST}}/"
    monkeypatch.setattr(build, "TEMPLATE", tmp_path / "manifest.template.json")
    build.TEMPLATE.write_text(json.dumps(template), encoding="utf-8")
    with pytest.raises(ManifestError, match="WEBSITE_HOST"):
        render_manifest(BOT_ID, registry)


def test_personal_chat_bot_with_its_commands(manifest: dict[str, Any]) -> None:
    (bot,) = manifest["bots"]
    assert bot["scopes"] == ["personal", "team"]
    assert bot["supportsFiles"] is False and bot["isNotificationOnly"] is False
    personal, team = bot["commandLists"]
    assert personal["scopes"] == ["personal"] and team["scopes"] == ["team"]
    titles = [command["title"] for command in personal["commands"]]
    assert titles == ["help", "request license E3", "join <list>", "my requests", "licenses", "report a problem",
                      "delegate to <name> until <date>", "email me on"]
    # In a channel the bot serves the digest alone (kinds/digest), so that is all the team menu offers.
    assert [command["title"] for command in team["commands"]] == ["digest daily 08:00"]
    for command in [*personal["commands"], *team["commands"]]:
        assert 0 < len(command["title"]) <= TITLE_MAX
        assert 0 < len(command["description"]) <= COMMAND_DESCRIPTION_MAX
    assert manifest["permissions"] == ["identity", "messageTeamMembers"]
    assert manifest["validDomains"] == []
    assert manifest["name"]["short"] == manifest["developer"]["name"] == "M365 Desk"
    assert len(manifest["description"]["short"]) <= 80 and len(manifest["description"]["full"]) <= 4000


def test_every_url_is_https(manifest: dict[str, Any]) -> None:
    for key in ("websiteUrl", "privacyUrl", "termsOfUseUrl"):
        assert manifest["developer"][key].startswith("https://")


# --- localizations --------------------------------------------------------------------------------------------------


def test_localization_files_are_declared_and_have_the_same_keys(
    manifest: dict[str, Any], localizations: dict[str, dict[str, str]]
) -> None:
    info = manifest["localizationInfo"]
    assert info["defaultLanguageTag"] == "en-us"
    assert {(lang["languageTag"], lang["file"]) for lang in info["additionalLanguages"]} == {
        (locale, f"{locale}.json") for locale in LOCALES
    }
    polish, german = (localizations[locale] for locale in LOCALES)
    assert polish.keys() == german.keys()


@pytest.mark.parametrize("locale", LOCALES)
def test_committed_localizations_hold_only_the_apps_own_strings(
    locale: str, localizations: dict[str, dict[str, str]]
) -> None:
    """The commands' translations live with their families; a copy left in the committed file would go stale."""
    committed = _committed(locale)
    assert set(committed) == {"$schema", "name.short", "name.full", "description.short", "description.full"}
    assert {key: localizations[locale][key] for key in committed} == committed


def _resolve(document: Any, key: str) -> Any:
    """`bots[0].commandLists[0].commands[1].title` -> that value in the manifest; KeyError/IndexError if absent."""
    for part in key.split("."):
        name, *indexes = re.findall(r"[^\[\]]+", part)
        document = document[name]
        for index in indexes:
            document = document[int(index)]
    return document


@pytest.mark.parametrize("locale", LOCALES)
def test_every_localized_key_exists_in_the_manifest(
    locale: str, manifest: dict[str, Any], localizations: dict[str, dict[str, str]]
) -> None:
    strings = localizations[locale]
    assert _errors(Draft4Validator(LOCALIZATION_SCHEMA), strings) == []
    assert strings["$schema"] == (
        "https://developer.microsoft.com/json-schemas/teams/v1.22/MicrosoftTeams.Localization.schema.json"
    )
    for key, text in strings.items():
        if key == "$schema":
            continue
        assert isinstance(_resolve(manifest, key), str), key
        assert text.strip() and "{{" not in text, key
        if found := COMMAND_KEY.match(key):
            assert len(text) <= (TITLE_MAX if found.group(2) == "title" else COMMAND_DESCRIPTION_MAX), key


@pytest.mark.parametrize("locale", LOCALES)
def test_everything_a_user_reads_is_translated(
    locale: str, manifest: dict[str, Any], localizations: dict[str, dict[str, str]]
) -> None:
    strings = localizations[locale]
    lists = manifest["bots"][0]["commandLists"]
    expected = {"name.short", "name.full", "description.short", "description.full"} | {
        f"bots[0].commandLists[{n}].commands[{i}].{field}"
        for n, listed in enumerate(lists)
        for i in range(len(listed["commands"]))
        for field in ("title", "description")
    }
    assert set(strings) - {"$schema"} == expected
    for key in expected - {"name.short"}:  # the product name stays the same in every language
        assert strings[key] != _resolve(manifest, key), key


def _fill(title: str) -> str:
    return re.sub(r"<[^>]+>", "Sales", title)


def _titles(locale: str, manifest: dict[str, Any], localizations: dict[str, dict[str, str]]) -> list[str]:
    """The command list's titles as a reader of `locale` sees them."""
    commands = manifest["bots"][0]["commandLists"][0]["commands"]
    strings = localizations.get(locale, {})
    return [strings.get(f"bots[0].commandLists[0].commands[{i}].title", c["title"]) for i, c in enumerate(commands)]


@pytest.mark.parametrize("locale", ("en-us", *LOCALES))
def test_command_titles_are_what_the_bot_understands(
    locale: str, manifest: dict[str, Any], localizations: dict[str, dict[str, str]], registry: Registry
) -> None:
    assert [command_of(_fill(title), registry) for title in _titles(locale, manifest, localizations)] == [
        ShowHelp(),
        RequestLicense(plan="E3"),
        JoinList("Sales"),
        ShowMyRequests(),
        ShowPlans(),
        ReportProblem(),
        # The menu's placeholders filled with "Sales": the delegation command, which then asks for a real date.
        Delegate("Sales", None, "Sales"),
        MailChoiceCommand(on=True),
    ]


@pytest.mark.parametrize("locale", ("en-us", *LOCALES))
def test_the_channel_menu_offers_what_a_channel_is_served(
    locale: str, manifest: dict[str, Any], localizations: dict[str, dict[str, str]], registry: Registry
) -> None:
    strings = {} if locale == "en-us" else localizations[locale]
    (command,) = manifest["bots"][0]["commandLists"][1]["commands"]
    title = strings.get("bots[0].commandLists[1].commands[0].title", command["title"])
    parsed = parse(title, registry)
    assert isinstance(parsed, Parsed) and parsed.route.in_channels
    assert parsed.command == SetDigest(DAILY, 8 * 60)


# --- the command list, from the families -------------------------------------------------------------------------


def _sla_report(order: int) -> ManifestCommand:
    return ManifestCommand(
        order,
        titles={"en": "sla", "pl": "pokaż sla", "de": "zeige sla"},
        descriptions={
            "en": "How quickly this month's requests were decided",
            "pl": "Jak szybko rozpatrzono wnioski w tym miesiącu",
            "de": "Wie schnell die Anträge dieses Monats entschieden wurden",
        },
    )


def _with(registry: Registry, *commands: ManifestCommand) -> Registry:
    """The desk's registry plus one family that declares only these manifest commands."""
    return build_registry((*registry.families, Family(name="reports", manifest=commands)))


def test_a_familys_new_manifest_command_appears_in_the_package(
    registry: Registry, validator: Validator, tmp_path: Path
) -> None:
    # Between "join <list>" (30) and "my requests" (40): its place comes from its order, not from its family's.
    package = build_package(BOT_ID, tmp_path / "m365-desk.zip", _with(registry, _sla_report(35)))
    manifest = _packaged(package, "manifest.json")
    localizations = {locale: _packaged(package, f"{locale}.json") for locale in LOCALES}
    assert _errors(validator, manifest) == []
    assert manifest["bots"][0]["commandLists"][0]["commands"][3] == {
        "title": "sla",
        "description": "How quickly this month's requests were decided",
    }
    assert localizations["pl-pl"]["bots[0].commandLists[0].commands[3].description"] == (
        "Jak szybko rozpatrzono wnioski w tym miesiącu"
    )
    assert localizations["de-de"]["bots[0].commandLists[0].commands[3].description"] == (
        "Wie schnell die Anträge dieses Monats entschieden wurden"
    )
    for locale in ("en-us", *LOCALES):
        assert [command_of(_fill(title), registry) for title in _titles(locale, manifest, localizations)] == [
            ShowHelp(),
            RequestLicense(plan="E3"),
            JoinList("Sales"),
            ShowSla(),
            ShowMyRequests(),
            ShowPlans(),
            ReportProblem(),
            Delegate("Sales", None, "Sales"),
            MailChoiceCommand(on=True),
        ], locale


def test_teams_limits_are_accepted_up_to_the_last_character(registry: Registry, tmp_path: Path) -> None:
    longest = ManifestCommand(
        99,
        titles={language: "t" * TITLE_MAX for language in ("en", "pl", "de")},
        descriptions={language: "d" * COMMAND_DESCRIPTION_MAX for language in ("en", "pl", "de")},
    )
    personal = [command for command in registry.manifest_commands() if command.scope == "personal"]
    filled = _with(registry, *[longest] * (10 - len(personal)))
    manifest = _packaged(build_package(BOT_ID, tmp_path / "m365-desk.zip", filled), "manifest.json")
    assert len(manifest["bots"][0]["commandLists"][0]["commands"]) == 10


def _changed(what: str, language: str, text: str) -> ManifestCommand:
    command = _sla_report(99)
    texts = {**getattr(command, what), language: text}
    if not text:
        del texts[language]
    return dataclasses.replace(command, **{what: texts})


@pytest.mark.parametrize(
    ("extra", "refusal"),
    [
        ([_sla_report(99)] * 6, "at most 10"),
        ([_changed("titles", "de", "t" * (TITLE_MAX + 1))], "title in 'de' is longer than Teams' 32"),
        ([_changed("descriptions", "pl", "d" * (COMMAND_DESCRIPTION_MAX + 1))], "description in 'pl' is longer"),
        ([_changed("titles", "pl", "")], "title missing in 'pl'"),
        ([_changed("descriptions", "en", "  ")], "description missing in 'en'"),
    ],
    ids=["eleven-commands", "long-title", "long-description", "untranslated-title", "blank-description"],
)
def test_commands_teams_would_refuse_are_not_packaged(
    registry: Registry, tmp_path: Path, extra: list[ManifestCommand], refusal: str
) -> None:
    with pytest.raises(ManifestError, match=re.escape(refusal)):
        build_package(BOT_ID, tmp_path / "m365-desk.zip", _with(registry, *extra))
    assert not (tmp_path / "m365-desk.zip").exists()


# --- icons ----------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Png:
    width: int
    height: int
    color_type: int
    pixels: list[tuple[int, int, int, int]]


def _paeth(left: int, up: int, up_left: int) -> int:
    guess = left + up - up_left
    distances = (abs(guess - left), abs(guess - up), abs(guess - up_left))
    return (left, up, up_left)[distances.index(min(distances))]


def read_png(data: bytes) -> Png:
    """A strict reader for 8-bit RGBA, non-interlaced PNGs: signature, chunk CRCs, IHDR, all five filter types."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG signature"
    offset, chunks = 8, []
    while offset < len(data):
        (length,) = struct.unpack(">I", data[offset : offset + 4])
        kind, body = data[offset + 4 : offset + 8], data[offset + 8 : offset + 8 + length]
        (crc,) = struct.unpack(">I", data[offset + 8 + length : offset + 12 + length])
        assert zlib.crc32(kind + body) == crc, f"bad CRC in {kind!r}"
        chunks.append((kind, body))
        offset += 12 + length
    assert chunks[0][0] == b"IHDR" and chunks[-1] == (b"IEND", b"")
    width, height, depth, color_type, compression, filter_method, interlace = struct.unpack(">IIBBBBB", chunks[0][1])
    assert (depth, color_type, compression, filter_method, interlace) == (8, 6, 0, 0, 0)
    raw = zlib.decompress(b"".join(body for kind, body in chunks if kind == b"IDAT"))
    stride, bpp = width * 4, 4
    assert len(raw) == height * (stride + 1)
    previous, rows = bytearray(stride), []
    for y in range(height):
        line = raw[y * (stride + 1) : (y + 1) * (stride + 1)]
        kind, row = line[0], bytearray(line[1:])
        for x in range(stride):
            left = row[x - bpp] if x >= bpp else 0
            up, up_left = previous[x], (previous[x - bpp] if x >= bpp else 0)
            match kind:
                case 0:
                    predictor = 0
                case 1:
                    predictor = left
                case 2:
                    predictor = up
                case 3:
                    predictor = (left + up) // 2
                case 4:
                    predictor = _paeth(left, up, up_left)
                case _:
                    raise AssertionError(f"unknown filter type {kind}")
            row[x] = (row[x] + predictor) & 0xFF
        rows.append(row)
        previous = row
    pixels = [(row[x], row[x + 1], row[x + 2], row[x + 3]) for row in rows for x in range(0, stride, 4)]
    return Png(width, height, color_type, pixels)


def test_png_reader_decodes_every_filter_type() -> None:
    pixels = [(x * 40, y * 50, (x + y) * 20, 255 - x * y) for y in range(5) for x in range(5)]
    raw = bytearray()
    for y in range(5):
        row = bytes(channel for pixel in pixels[y * 5 : (y + 1) * 5] for channel in pixel)
        prior = bytes(channel for pixel in pixels[(y - 1) * 5 : y * 5] for channel in pixel) if y else bytes(20)
        encoded = bytearray()
        for x, value in enumerate(row):
            left, up, up_left = (row[x - 4] if x >= 4 else 0), prior[x], (prior[x - 4] if x >= 4 else 0)
            predictor = [0, left, up, (left + up) // 2, _paeth(left, up, up_left)][y]
            encoded.append((value - predictor) & 0xFF)
        raw += bytes([y]) + encoded
    ihdr = struct.pack(">IIBBBBB", 5, 5, 8, 6, 0, 0, 0)

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    data = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(bytes(raw))) + chunk(b"IEND", b"")
    assert read_png(data).pixels == pixels


@pytest.mark.parametrize(("name", "size"), [("color.png", 192), ("outline.png", 32)])
def test_icons_are_pngs_of_the_right_size(name: str, size: int, manifest: dict[str, Any]) -> None:
    assert name in manifest["icons"].values()
    image = read_png((MANIFEST_DIR / name).read_bytes())
    assert (image.width, image.height, image.color_type) == (size, size, 6)


def test_outline_icon_is_white_on_transparent() -> None:
    image = read_png((MANIFEST_DIR / "outline.png").read_bytes())
    opaque = [pixel for pixel in image.pixels if pixel[3]]
    assert all(pixel == (255, 255, 255, 255) for pixel in opaque)
    assert 0.15 < len(opaque) / len(image.pixels) < 0.85, "the outline icon should show a shape, not be empty or full"


def test_color_icon_is_the_accent_colour_with_a_white_letter(manifest: dict[str, Any]) -> None:
    image = read_png((MANIFEST_DIR / "color.png").read_bytes())
    accent = tuple(int(manifest["accentColor"][i : i + 2], 16) for i in (1, 3, 5))

    def at(x: int, y: int) -> tuple[int, int, int, int]:
        return image.pixels[y * image.width + x]

    assert at(0, 0)[3] == 0 and at(191, 191)[3] == 0, "rounded corners are transparent"
    assert at(96, 10) == (*accent, 255) and at(10, 96) == (*accent, 255)
    assert at(50, 96) == (255, 255, 255, 255), "left stem of the M"
    assert at(141, 96) == (255, 255, 255, 255), "right stem of the M"
    assert at(96, 70) == (*accent, 255), "between the M's diagonals"


@pytest.mark.parametrize(("name", "draw"), [("color.png", icons.color_pixels), ("outline.png", icons.outline_pixels)])
def test_committed_icons_match_their_generator(name: str, draw: Any) -> None:
    assert read_png((MANIFEST_DIR / name).read_bytes()).pixels == draw(), f"run `python -m manifest.icons` ({name})"


# --- the package ----------------------------------------------------------------------------------------------------


def test_package_holds_exactly_the_expected_files_at_its_root(
    package: Path, manifest: dict[str, Any], registry: Registry
) -> None:
    with zipfile.ZipFile(package) as archive:
        assert archive.testzip() is None
        names = archive.namelist()
        assert (
            sorted(names)
            == sorted(PACKAGE_FILES)
            == sorted(["manifest.json", "color.png", "outline.png", "pl-pl.json", "de-de.json"])
        )
        assert manifest == render_manifest(BOT_ID, registry)
        for name in names:
            if name.endswith(".png"):
                assert archive.read(name) == (MANIFEST_DIR / name).read_bytes(), name
            elif name != "manifest.json":
                assert json.loads(archive.read(name)) == render_localization(name, registry), name
            assert b"{{" not in archive.read(name), name
    languages = manifest["localizationInfo"]["additionalLanguages"]
    referenced = {*manifest["icons"].values(), *(language["file"] for language in languages)}
    assert referenced | {"manifest.json"} == set(names)


def test_package_is_reproducible(package: Path, tmp_path: Path, registry: Registry) -> None:
    assert build_package(BOT_ID, tmp_path / "again" / "m365-desk.zip", registry).read_bytes() == package.read_bytes()


def test_command_line_builds_the_package(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "build" / "m365-desk.zip"
    assert main(["--bot-id", BOT_ID, "--out", str(out)]) == 0
    assert capsys.readouterr().out.strip() == str(out)
    with zipfile.ZipFile(out) as archive:
        assert json.loads(archive.read("manifest.json"))["bots"][0]["botId"] == BOT_ID


def test_command_line_refuses_a_bad_bot_id(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "m365-desk.zip"
    with pytest.raises(SystemExit) as exited:
        main(["--bot-id", "my-bot", "--out", str(out)])
    assert exited.value.code == 2
    assert "GUID" in capsys.readouterr().err
    assert not out.exists()
