"""Controlled vocabularies of the directory, one class per choice set.

Each label is marked for translation with its vocabulary as context (``pgettext_lazy``), so the
admin shows it in the curator's language (directory/locale). The API and the widgets never
take a label from the active language: :func:`choice_label` gives the English source text or
the Japanese of :data:`JAPANESE_LABELS`, whatever language a request activated (the admin's
catalogue repeats those Japanese labels: tests/test_admin_ja.py checks that they agree).
"""

import functools
import json
from pathlib import Path

from django.db import models
from django.utils import translation
from django.utils.translation import pgettext_lazy

_DATA_DIR = Path(__file__).resolve().parent / "data"


class InstitutionKind(models.TextChoices):
    UNIVERSITY = "university", pgettext_lazy("institution kind", "University")
    NATIONAL_INSTITUTE = (
        "national_institute",
        pgettext_lazy("institution kind", "National research institute"),
    )
    FUNDING_AGENCY = "funding_agency", pgettext_lazy("institution kind", "Funding agency")
    MINISTRY = "ministry", pgettext_lazy("institution kind", "Government ministry")
    COMPANY = "company", pgettext_lazy("institution kind", "Company")
    INTERNATIONAL_ORGANISATION = (
        "international_organisation",
        pgettext_lazy("institution kind", "International organisation"),
    )
    REGIONAL_BODY = (
        "regional_body",
        pgettext_lazy("institution kind", "Regional body or consortium"),
    )
    EMBASSY = "embassy", pgettext_lazy("institution kind", "Embassy or trade office")
    INDUSTRY_ASSOCIATION = (
        "industry_association",
        pgettext_lazy("institution kind", "Industry association or business federation"),
    )


class FacilityKind(models.TextChoices):
    SYNCHROTRON = "synchrotron", pgettext_lazy("facility kind", "Synchrotron light source")
    XFEL = "xfel", pgettext_lazy("facility kind", "X-ray free-electron laser")
    SPALLATION_NEUTRON = (
        "spallation_neutron",
        pgettext_lazy("facility kind", "Spallation neutron source"),
    )
    RESEARCH_REACTOR = "research_reactor", pgettext_lazy("facility kind", "Research reactor")
    MUON = "muon", pgettext_lazy("facility kind", "Muon source")
    ACCELERATOR = "accelerator", pgettext_lazy("facility kind", "Particle or ion accelerator")
    HEAVY_ION_THERAPY = (
        "heavy_ion_therapy",
        pgettext_lazy("facility kind", "Heavy-ion therapy accelerator"),
    )
    FUSION = "fusion", pgettext_lazy("facility kind", "Fusion device")
    HIGH_FIELD_MAGNET = (
        "high_field_magnet",
        pgettext_lazy("facility kind", "High magnetic field facility"),
    )
    LASER = "laser", pgettext_lazy("facility kind", "High-power laser facility")
    NANOFABRICATION = (
        "nanofabrication",
        pgettext_lazy("facility kind", "Nanofabrication and cleanroom facility"),
    )
    COMPUTING = "computing", pgettext_lazy("facility kind", "Supercomputer or computing centre")
    RESEARCH_CAMPUS = "research_campus", pgettext_lazy("facility kind", "Research campus or site")


class FacilityStatus(models.TextChoices):
    PLANNED = "planned", pgettext_lazy("facility status", "Planned")
    UNDER_CONSTRUCTION = (
        "under_construction",
        pgettext_lazy("facility status", "Under construction"),
    )
    COMMISSIONING = "commissioning", pgettext_lazy("facility status", "Commissioning")
    OPERATIONAL = "operational", pgettext_lazy("facility status", "Operational")
    UPGRADING = "upgrading", pgettext_lazy("facility status", "Upgrading")
    CLOSED = "closed", pgettext_lazy("facility status", "Closed")


class FacilityRoleKind(models.TextChoices):
    OPERATOR = "operator", pgettext_lazy("facility role", "Operator")
    OWNER = "owner", pgettext_lazy("facility role", "Owner")
    CO_OPERATOR = "co_operator", pgettext_lazy("facility role", "Co-operator")
    REGIONAL_PARTNER = "regional_partner", pgettext_lazy("facility role", "Regional partner")
    FUNDER = "funder", pgettext_lazy("facility role", "Funder")
    HOST = "host", pgettext_lazy("facility role", "Host institution")
    DOMESTIC_AGENCY = "domestic_agency", pgettext_lazy("facility role", "Member's domestic agency")


class Probe(models.TextChoices):
    XRAY = "xray", pgettext_lazy("probe", "X-ray")
    NEUTRON = "neutron", pgettext_lazy("probe", "Neutron")
    MUON = "muon", pgettext_lazy("probe", "Muon")
    ION = "ion", pgettext_lazy("probe", "Ion")
    ELECTRON = "electron", pgettext_lazy("probe", "Electron")
    LASER = "laser", pgettext_lazy("probe", "Laser")
    PLASMA = "plasma", pgettext_lazy("probe", "Plasma")


class AccessModeKind(models.TextChoices):
    PEER_REVIEWED = "peer_reviewed", pgettext_lazy("access mode kind", "Peer-reviewed proposal")
    PROPRIETARY = "proprietary", pgettext_lazy("access mode kind", "Proprietary / paid access")
    COALITION = "coalition", pgettext_lazy("access mode kind", "Coalition membership")
    COLLABORATIVE = "collaborative", pgettext_lazy("access mode kind", "Collaborative research")


class InstrumentKind(models.TextChoices):
    BEAMLINE = "beamline", pgettext_lazy("instrument kind", "Beamline")
    INSTRUMENT = "instrument", pgettext_lazy("instrument kind", "Instrument")
    END_STATION = "end_station", pgettext_lazy("instrument kind", "End station")


class ProgrammeKind(models.TextChoices):
    BILATERAL_CALL = "bilateral_call", pgettext_lazy("programme kind", "Bilateral joint call")
    MULTILATERAL_FRAMEWORK = (
        "multilateral_framework",
        pgettext_lazy("programme kind", "Multilateral framework programme"),
    )
    NATIONAL_FLAGSHIP = (
        "national_flagship",
        pgettext_lazy("programme kind", "National flagship programme"),
    )
    FACILITY_ACCESS = (
        "facility_access",
        pgettext_lazy("programme kind", "Facility access / proposal system"),
    )
    INDUSTRY_GRANT = (
        "industry_grant",
        pgettext_lazy("programme kind", "Industry collaboration grant"),
    )
    MOBILITY = "mobility", pgettext_lazy("programme kind", "Researcher mobility or fellowship")
    RESEARCH_GRANT = (
        "research_grant",
        pgettext_lazy("programme kind", "Competitive research grant programme"),
    )


class ProgrammeStatus(models.TextChoices):
    PLANNED = "planned", pgettext_lazy("programme status", "Planned")
    ACTIVE = "active", pgettext_lazy("programme status", "Active")
    CLOSED = "closed", pgettext_lazy("programme status", "Closed")


class ProgrammeRoleKind(models.TextChoices):
    FUNDER = "funder", pgettext_lazy("programme role", "Funder")
    IMPLEMENTING_AGENCY = (
        "implementing_agency",
        pgettext_lazy("programme role", "Implementing agency"),
    )
    PARTNER = "partner", pgettext_lazy("programme role", "Partner")


class CallFrequency(models.TextChoices):
    ANNUAL = "annual", pgettext_lazy("call frequency", "Annual")
    TWICE_A_YEAR = "twice_a_year", pgettext_lazy("call frequency", "Twice a year")
    ROLLING = "rolling", pgettext_lazy("call frequency", "Rolling")
    ONE_OFF = "one_off", pgettext_lazy("call frequency", "One-off")
    IRREGULAR = "irregular", pgettext_lazy("call frequency", "Irregular")


class DatePrecision(models.TextChoices):
    """How much of a stored date is known: a programme that "runs 2021–2027" is year-precise."""

    DAY = "day", pgettext_lazy("date precision", "Day")
    MONTH = "month", pgettext_lazy("date precision", "Month")
    YEAR = "year", pgettext_lazy("date precision", "Year")


#: A ``<date>_precision`` field says how precise ``<date>`` is.
PRECISION_SUFFIX = "_precision"


def drop_undated_precisions(data: dict) -> dict:
    """Leave out of a record's public form each ``<date>_precision`` whose date is not set (it
    would say how precise nothing is): the API and the changes feed show records alike."""
    for name in [name for name in data if name.endswith(PRECISION_SUFFIX)]:
        if data.get(name.removesuffix(PRECISION_SUFFIX)) is None:
            del data[name]
    return data


class SuccessionType(models.TextChoices):
    """How a facility or a programme led to the one after it (read: predecessor → successor)."""

    SUCCEEDED_BY = "succeeded_by", pgettext_lazy("succession type", "Succeeded by")
    REPLACED_BY = "replaced_by", pgettext_lazy("succession type", "Replaced by")
    UPGRADED_INTO = "upgraded_into", pgettext_lazy("succession type", "Upgraded into")


class InstitutionSuccessionType(models.TextChoices):
    """How an institution led to the one after it (read: predecessor → successor).

    Kept small and literal: a part moved to another body is not a merger of the whole.
    """

    MERGED_INTO = "merged_into", pgettext_lazy("succession type", "Merged into")
    RENAMED_TO = "renamed_to", pgettext_lazy("succession type", "Renamed to")
    PART_MOVED_TO = "part_moved_to", pgettext_lazy("succession type", "Part moved to")


class CallStatus(models.TextChoices):
    """Derived from a call's dates at read time; never stored."""

    UPCOMING = "upcoming", pgettext_lazy("call status", "Upcoming")
    OPEN = "open", pgettext_lazy("call status", "Open")
    CLOSED = "closed", pgettext_lazy("call status", "Closed")


class AgreementKind(models.TextChoices):
    MOU = "mou", pgettext_lazy("agreement kind", "Memorandum of understanding")
    COOPERATION_ARRANGEMENT = (
        "cooperation_arrangement",
        pgettext_lazy("agreement kind", "Cooperation arrangement"),
    )
    FRAMEWORK_AGREEMENT = (
        "framework_agreement",
        pgettext_lazy("agreement kind", "Framework agreement"),
    )
    INTERGOVERNMENTAL = (
        "intergovernmental",
        pgettext_lazy("agreement kind", "Intergovernmental agreement"),
    )
    JOINT_STATEMENT = "joint_statement", pgettext_lazy("agreement kind", "Joint statement")


def _load_currency_choices() -> list[tuple[str, str]]:
    rows = json.loads((_DATA_DIR / "currencies.json").read_text(encoding="utf-8"))
    return [(row["code"], f"{row['code']} — {row['name']}") for row in rows]


def _load_country_codes() -> frozenset[str]:
    rows = json.loads((_DATA_DIR / "countries.json").read_text(encoding="utf-8"))
    return frozenset(row["code"] for row in rows)


#: ISO 3166-1 alpha-2 codes (the same list the country table is loaded from).
COUNTRY_CODES = _load_country_codes()

#: ISO 4217 currencies (active codes, from the ISO list shipped in directory/data).
CURRENCY_CHOICES = _load_currency_choices()


#: Japanese labels of every choice above, keyed by choice class then value.
JAPANESE_LABELS: dict[type[models.TextChoices], dict[str, str]] = {
    InstitutionKind: {
        "university": "大学",
        "national_institute": "国立研究機関",
        "funding_agency": "資金配分機関",
        "ministry": "政府省庁",
        "company": "企業",
        "international_organisation": "国際機関",
        "regional_body": "地域団体・コンソーシアム",
        "embassy": "大使館・通商代表部",
        "industry_association": "経済団体・業界団体",
    },
    FacilityKind: {
        "synchrotron": "放射光施設",
        "xfel": "X線自由電子レーザー",
        "spallation_neutron": "核破砕中性子源",
        "research_reactor": "研究用原子炉",
        "muon": "ミュオン源",
        "accelerator": "粒子・イオン加速器",
        "heavy_ion_therapy": "重粒子線治療加速器",
        "fusion": "核融合装置",
        "high_field_magnet": "強磁場施設",
        "laser": "大型レーザー施設",
        "nanofabrication": "ナノ加工・クリーンルーム施設",
        "computing": "スーパーコンピュータ・計算センター",
        "research_campus": "研究拠点・キャンパス",
    },
    FacilityStatus: {
        "planned": "計画中",
        "under_construction": "建設中",
        "commissioning": "試運転中",
        "operational": "運用中",
        "upgrading": "高度化中",
        "closed": "運用終了",
    },
    FacilityRoleKind: {
        "operator": "運営",
        "owner": "所有",
        "co_operator": "共同運営",
        "regional_partner": "地域パートナー",
        "funder": "資金提供",
        "host": "ホスト機関",
        "domestic_agency": "参加極の国内機関",
    },
    Probe: {
        "xray": "X線",
        "neutron": "中性子",
        "muon": "ミュオン",
        "ion": "イオン",
        "electron": "電子",
        "laser": "レーザー",
        "plasma": "プラズマ",
    },
    AccessModeKind: {
        "peer_reviewed": "課題審査による利用",
        "proprietary": "成果専有・有償利用",
        "coalition": "コアリション（有志連合）加入",
        "collaborative": "共同研究",
    },
    InstrumentKind: {
        "beamline": "ビームライン",
        "instrument": "装置",
        "end_station": "エンドステーション",
    },
    ProgrammeKind: {
        "bilateral_call": "二国間共同公募",
        "multilateral_framework": "多国間枠組みプログラム",
        "national_flagship": "国家旗艦プログラム",
        "facility_access": "施設利用・課題公募制度",
        "industry_grant": "産学連携助成",
        "mobility": "研究者交流・フェローシップ",
        "research_grant": "競争的研究費制度",
    },
    ProgrammeStatus: {"planned": "計画中", "active": "実施中", "closed": "終了"},
    ProgrammeRoleKind: {
        "funder": "資金提供",
        "implementing_agency": "実施機関",
        "partner": "パートナー",
    },
    CallFrequency: {
        "annual": "年1回",
        "twice_a_year": "年2回",
        "rolling": "随時",
        "one_off": "単発",
        "irregular": "不定期",
    },
    DatePrecision: {"day": "日", "month": "月", "year": "年"},
    SuccessionType: {"succeeded_by": "後継", "replaced_by": "置き換え", "upgraded_into": "高度化"},
    InstitutionSuccessionType: {
        "merged_into": "統合",
        "renamed_to": "改称",
        "part_moved_to": "一部移管",
    },
    CallStatus: {"upcoming": "公募予定", "open": "公募中", "closed": "締切済"},
    AgreementKind: {
        "mou": "覚書（MOU）",
        "cooperation_arrangement": "協力取決め",
        "framework_agreement": "枠組み協定",
        "intergovernmental": "政府間協定",
        "joint_statement": "共同声明",
    },
}


def in_language(english: str, japanese: str, language: str) -> tuple[str, str]:
    """(text, its language): the Japanese when asked for and present, else the English.

    The one fallback rule of every bilingual text the directory shows (API, widgets, feeds).
    """
    if language == "ja" and japanese:
        return japanese, "ja"
    return english, "en"


def localised(english: str, japanese: str, language: str) -> str:
    """The text of :func:`in_language`."""
    return in_language(english, japanese, language)[0]


def choice_label(choices: type[models.TextChoices], value: str, language: str = "en") -> str:
    """The label of a choice value in English or Japanese ("" for an empty value)."""
    if not value:
        return ""
    if language == "ja":
        label = JAPANESE_LABELS.get(choices, {}).get(value)
        if label:
            return label
    return english_labels(choices).get(value, value)


@functools.cache
def english_labels(choices: type[models.TextChoices]) -> dict[str, str]:
    """{value: English label} of a vocabulary: its labels' source text, untranslated (the
    labels are lazy translations: read in the active language, an API request with
    ``Accept-Language: ja`` would get the admin's Japanese instead of English)."""
    with translation.override(None):
        return {member.value: str(member.label) for member in choices}


class RorMatch(models.TextChoices):
    """How import_ror matched a ROR record to an institution (strongest first)."""

    ROR_ID = "ror_id", pgettext_lazy("ror match", "Same ROR id")
    NAME = "name", pgettext_lazy("ror match", "English name")
    NAME_JA = "name_ja", pgettext_lazy("ror match", "Japanese name")
    ALIAS = "alias", pgettext_lazy("ror match", "Alias")
    ACRONYM = "acronym", pgettext_lazy("ror match", "Acronym and country")


class ProposalStatus(models.TextChoices):
    PENDING = "pending", pgettext_lazy("proposal status", "Pending")
    ACCEPTED = "accepted", pgettext_lazy("proposal status", "Accepted")
    REJECTED = "rejected", pgettext_lazy("proposal status", "Rejected")
