"""The time zone menu: common canonical IANA zones, grouped by region.

``zoneinfo.available_timezones()`` holds about 600 names, many of them legacy aliases
("US/Eastern", "W-SU", "Zulu") or files that are not zones at all ("localtime"). The
menu offers the canonical zones people commonly live in, one ``<optgroup>`` per region;
any valid zone is still accepted, and a member whose stored zone is not in the list sees
it selected under "Other".
"""

import functools
import zoneinfo

from django import forms

UTC = "UTC"

#: Canonical IANA names only (each is a Zone in the tz database, not a Link).
REGIONS: dict[str, tuple[str, ...]] = {
    "Africa": (
        "Africa/Abidjan",
        "Africa/Algiers",
        "Africa/Cairo",
        "Africa/Casablanca",
        "Africa/Johannesburg",
        "Africa/Khartoum",
        "Africa/Lagos",
        "Africa/Maputo",
        "Africa/Nairobi",
        "Africa/Tripoli",
        "Africa/Tunis",
        "Africa/Windhoek",
    ),
    "America": (
        "America/Anchorage",
        "America/Argentina/Buenos_Aires",
        "America/Bogota",
        "America/Caracas",
        "America/Chicago",
        "America/Denver",
        "America/Edmonton",
        "America/Guatemala",
        "America/Halifax",
        "America/Havana",
        "America/Lima",
        "America/Los_Angeles",
        "America/Mexico_City",
        "America/Montevideo",
        "America/New_York",
        "America/Panama",
        "America/Phoenix",
        "America/Puerto_Rico",
        "America/Regina",
        "America/Santiago",
        "America/Santo_Domingo",
        "America/Sao_Paulo",
        "America/St_Johns",
        "America/Toronto",
        "America/Vancouver",
        "America/Winnipeg",
    ),
    "Asia": (
        "Asia/Almaty",
        "Asia/Baghdad",
        "Asia/Baku",
        "Asia/Bangkok",
        "Asia/Colombo",
        "Asia/Dhaka",
        "Asia/Dubai",
        "Asia/Ho_Chi_Minh",
        "Asia/Hong_Kong",
        "Asia/Jakarta",
        "Asia/Jerusalem",
        "Asia/Kabul",
        "Asia/Karachi",
        "Asia/Kathmandu",
        "Asia/Kolkata",
        "Asia/Manila",
        "Asia/Riyadh",
        "Asia/Seoul",
        "Asia/Shanghai",
        "Asia/Singapore",
        "Asia/Taipei",
        "Asia/Tashkent",
        "Asia/Tbilisi",
        "Asia/Tehran",
        "Asia/Tokyo",
        "Asia/Yangon",
        "Asia/Yerevan",
    ),
    "Atlantic": (
        "Atlantic/Azores",
        "Atlantic/Bermuda",
        "Atlantic/Canary",
        "Atlantic/Cape_Verde",
    ),
    "Australia": (
        "Australia/Adelaide",
        "Australia/Brisbane",
        "Australia/Darwin",
        "Australia/Hobart",
        "Australia/Perth",
        "Australia/Sydney",
    ),
    "Europe": (
        "Europe/Athens",
        "Europe/Belgrade",
        "Europe/Berlin",
        "Europe/Brussels",
        "Europe/Bucharest",
        "Europe/Budapest",
        "Europe/Dublin",
        "Europe/Helsinki",
        "Europe/Istanbul",
        "Europe/Kyiv",
        "Europe/Lisbon",
        "Europe/London",
        "Europe/Madrid",
        "Europe/Minsk",
        "Europe/Moscow",
        "Europe/Paris",
        "Europe/Prague",
        "Europe/Rome",
        "Europe/Vienna",
        "Europe/Warsaw",
        "Europe/Zurich",
    ),
    "Indian": ("Indian/Maldives", "Indian/Mauritius"),
    "Pacific": (
        "Pacific/Auckland",
        "Pacific/Fiji",
        "Pacific/Guam",
        "Pacific/Honolulu",
        "Pacific/Port_Moresby",
        "Pacific/Tongatapu",
    ),
}

OTHER = "Other"


@functools.cache
def valid_zones() -> frozenset[str]:
    """Every name ``zoneinfo`` can load (aliases included: old rows keep working)."""
    return frozenset(zoneinfo.available_timezones())


def zone_label(name: str) -> str:
    """ "America/Argentina/Buenos_Aires" → "Argentina / Buenos Aires"."""
    if name == UTC:
        return "UTC (Coordinated Universal Time)"
    return " / ".join(name.split("/")[1:] or [name]).replace("_", " ")


def grouped_choices(*current: str) -> list:
    """The menu: UTC, then one group per region; any of ``current`` (a stored or posted
    valid zone) that the list lacks is added under "Other" so it shows selected."""
    zones = valid_zones()
    choices: list = [(UTC, zone_label(UTC))]
    offered = {UTC}
    for region, names in REGIONS.items():
        present = [(n, zone_label(n)) for n in names if n in zones]
        offered.update(n for n, _ in present)
        if present:
            choices.append((region, present))
    extra = sorted({z for z in current if z and z in zones and z not in offered})
    if extra:
        choices.append((OTHER, [(z, z.replace("_", " ")) for z in extra]))
    return choices


def offered_zones() -> list[str]:
    return [UTC] + [n for names in REGIONS.values() for n in names if n in valid_zones()]


class TimeZoneField(forms.ChoiceField):
    """A grouped menu of common zones that accepts any valid zone name."""

    def __init__(self, **kwargs):
        kwargs.setdefault("help_text", "Dates on every page follow it.")
        kwargs.setdefault("label", "Time zone")
        super().__init__(choices=grouped_choices, **kwargs)

    def valid_value(self, value):
        return value in valid_zones()

    def offer(self, *current: str) -> None:
        """Show ``current`` selected even when it is not one of the common zones."""
        self.choices = grouped_choices(*current)


def offer_current_zone(form, name: str = "time_zone") -> None:
    """Give ``form``'s time zone menu the zone it shows: the posted one, else the
    initial or stored one."""
    field = form.fields[name]
    values = [form.initial.get(name) or field.initial or ""]
    instance = getattr(form, "instance", None)
    if instance is not None:
        values.append(getattr(instance, name, "") or "")
    if form.is_bound:
        values.append(form.data.get(form.add_prefix(name)) or "")
    field.offer(*[str(v) for v in values])
