"""The tripartite experimentation agreement of a selected startup: staff publish an edition's template (versioned),
offer the agreement to a selection, and one person signs for each party (the city, the sponsoring partner, the
startup). Data access and site bookings open only once all three have signed: `startups_with_agreement_in_force` is
the one definition the gates compose on. Every write is audited; the parties are told by notice."""

from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from modeltranslation.utils import build_localized_fieldname

from challenges.models import AgreementTemplate, Program
from datacity.audit.services import Refused, audited_transaction, record
from datacity.notifications.services import notify
from partners.models import PartnerMembership

from .models import AgreementParty, AgreementSignature, ExperimentAgreement, Selection, Startup, StartupMembership
from .notices import AGREEMENT_IN_FORCE, AGREEMENT_TO_SIGN
from .permissions import experiment_role

# The permission that makes a staff member one of the city's program team for the agreement (told to sign it).
CITY_PERMISSION = ("startups", "change_selection")
# The translated columns of a template, which `template_publish` takes by name.
TRANSLATED_COLUMNS = frozenset(
    build_localized_fieldname(field, language)
    for field in ("text", "ip_clause")
    for language, _name in settings.LANGUAGES
)


class AgreementRefused(Refused):
    """An agreement change refused by the rules; `details["reason_code"]` says which (for tests and the audit log)."""


# --- Reads ---------------------------------------------------------------------------------------------------------


def latest_template(program_id: int) -> AgreementTemplate | None:
    return AgreementTemplate.objects.filter(program_id=program_id).order_by("-version").first()


def agreement_for(selection: Selection) -> ExperimentAgreement | None:
    """The selection's agreement made from the latest template version it was offered, with its template."""
    return (
        ExperimentAgreement.objects.filter(selection=selection)
        .select_related("template")
        .order_by("-template__version")
        .first()
    )


def _signed_by(party: str) -> Exists:
    return Exists(AgreementSignature.objects.filter(agreement=OuterRef("pk"), party=party))


def agreements_in_force() -> QuerySet[ExperimentAgreement]:
    """Agreements signed for each of the three parties."""
    return ExperimentAgreement.objects.filter(*(_signed_by(party) for party in AgreementParty.values))


def startups_with_agreement_in_force() -> QuerySet[Startup]:
    """Startups one of whose selections has an agreement in force: the ones whose members may get governed data
    and book sites (with the other rules of those services)."""
    return Startup.objects.filter(Exists(agreements_in_force().filter(selection__startup=OuterRef("pk"))))


def agreement_in_force(startup_id: int, program_id: int | None = None) -> bool:
    """Whether the startup has an agreement in force (in the edition `program_id`, when given)."""
    agreements = agreements_in_force().filter(selection__startup_id=startup_id)
    if program_id is not None:
        agreements = agreements.filter(selection__program_id=program_id)
    return agreements.exists()


def is_in_force(agreement: ExperimentAgreement) -> bool:
    return agreements_in_force().filter(pk=agreement.pk).exists()


def agreement_url(selection_id: int) -> str:
    return reverse("experiments:agreement", kwargs={"pk": selection_id})


def selection_to_sign(startup_ids: Any) -> Selection | None:
    """A selection of these startups (a queryset or ids) whose agreement is not in force yet, latest edition first:
    where a gate sends the startup's member to sign."""
    in_force = agreements_in_force().filter(selection=OuterRef("pk"))
    return (
        Selection.objects.public()
        .filter(startup__in=startup_ids)
        .exclude(Exists(in_force))
        .order_by("-program__starts_on")
        .first()
    )


# --- The people of each party ----------------------------------------------------------------------------------------


def _active_users(ids: Any) -> QuerySet:
    return get_user_model()._default_manager.filter(pk__in=ids, is_active=True)


def city_team() -> QuerySet:
    """The city's party: active staff who may change selections (directly, by a group, or as superusers). Kept
    simple on purpose: the program team, not every staff account."""
    app_label, codename = CITY_PERMISSION
    permission = Permission.objects.filter(content_type__app_label=app_label, codename=codename)
    users = get_user_model()._default_manager.filter(is_active=True, is_staff=True)
    allowed = users.filter(
        Q(is_superuser=True) | Q(user_permissions__in=permission) | Q(groups__permissions__in=permission)
    )
    return _active_users(allowed.values("pk"))


def party_people(selection: Selection) -> QuerySet:
    """Everyone told about the agreement: the startup's members, the sponsor's members and the city's team."""
    startup = StartupMembership.objects.filter(startup_id=selection.startup_id).values("user")
    partner = PartnerMembership.objects.filter(partner__sponsored_selections=selection).values("user")
    return _active_users(
        get_user_model()
        ._default_manager.filter(Q(pk__in=startup) | Q(pk__in=partner) | Q(pk__in=city_team().values("pk")))
        .values("pk")
    )


def _context(agreement: ExperimentAgreement) -> dict[str, Any]:
    selection = agreement.selection
    return {
        "startup": selection.startup.name,
        "program": str(selection.program),
        "sponsor": selection.sponsor.name if selection.sponsor else "",
        "version": agreement.template.version,
    }


# --- Writes ----------------------------------------------------------------------------------------------------------


def _check_staff(actor: Any, *, action: str, obj: Any) -> None:
    if not (getattr(actor, "is_authenticated", False) and actor.is_active and actor.is_staff):
        raise AgreementRefused(_("Only the program team may do this."), action=action, obj=obj, reason_code="not_staff")


@audited_transaction
def template_publish(
    *,
    program: Program,
    actor: Any,
    text: str,
    ip_clause: str | None = None,
    translations: Mapping[str, str] | None = None,
) -> AgreementTemplate:
    """A new version of the edition's agreement template (the previous one plus one); without `ip_clause`, the
    default clause (the startup keeps its intellectual property). `text` and `ip_clause` are in the current
    language; `translations` gives the others by column (`text_ar`, `ip_clause_en`...). Agreements already offered
    keep their version."""
    action = "agreement.template_refused"
    _check_staff(actor, action=action, obj=program)
    text = (text or "").strip()
    if not text:
        raise AgreementRefused(_("The agreement needs a text."), action=action, obj=program, reason_code="no_text")
    if ip_clause is not None and not ip_clause.strip():
        raise AgreementRefused(
            _("The agreement needs an intellectual property clause."),
            action=action,
            obj=program,
            reason_code="no_ip_clause",
        )
    unknown = set(translations or {}) - TRANSLATED_COLUMNS
    if unknown:
        raise AgreementRefused(
            _("Unknown fields: %(fields)s.") % {"fields": ", ".join(sorted(unknown))}, reason_code="field"
        )
    # Lock the edition so that two publications cannot take the same version number.
    Program.objects.select_for_update().filter(pk=program.pk).first()
    previous = latest_template(program.pk)
    template = AgreementTemplate(program=program, version=(previous.version + 1) if previous else 1, created_by=actor)
    for column, value in (translations or {}).items():
        setattr(template, column, (value or "").strip())
    # `text` and `ip_clause` fill the current language's columns, unless `translations` names those columns too.
    language = get_language() or settings.LANGUAGE_CODE
    if build_localized_fieldname("text", language) not in (translations or {}):
        template.text = text
    if ip_clause is not None and build_localized_fieldname("ip_clause", language) not in (translations or {}):
        template.ip_clause = ip_clause.strip()
    try:
        template.full_clean()
    except ValidationError as error:
        raise AgreementRefused(" ".join(error.messages), action=action, obj=program, reason_code="invalid") from error
    template.save()
    record(action="agreement.template_published", actor=actor, obj=template, version=template.version)
    return template


@audited_transaction
def agreement_offer(*, selection: Selection, actor: Any) -> ExperimentAgreement:
    """Staff offer the selection the agreement of its edition's latest template; the three parties' people are told
    to sign. Idempotent: offering again returns the agreement of that version, and tells nobody twice."""
    action = "agreement.offer_refused"
    _check_staff(actor, action=action, obj=selection)
    selection = Selection.objects.select_related("startup", "program", "sponsor").get(pk=selection.pk)
    template = latest_template(selection.program_id)
    if template is None:
        raise AgreementRefused(
            _("Publish the edition's agreement template first: there is none to offer."),
            action=action,
            obj=selection,
            reason_code="no_template",
        )
    if selection.sponsor_id is None:
        raise AgreementRefused(
            _("This selection has no sponsoring partner: pair it with one before offering the agreement."),
            action=action,
            obj=selection,
            reason_code="no_sponsor",
        )
    agreement, created = ExperimentAgreement.objects.get_or_create(selection=selection, template=template)
    if created:
        record(action="agreement.offered", actor=actor, obj=agreement, version=template.version)
    agreement.selection = selection
    notify(
        kind=AGREEMENT_TO_SIGN,
        recipients=party_people(selection),
        obj=agreement,
        key=f"to-sign-{agreement.pk}",
        url=agreement_url(selection.pk),
        context=_context(agreement),
    )
    return agreement


@audited_transaction
def agreement_sign(*, agreement: ExperimentAgreement, user: Any, party: str) -> AgreementSignature:
    """`user` signs the agreement for `party`, which must be theirs (a member of the startup, of the sponsoring
    partner, or staff for the city). Once per party: the database's uniqueness has the last word. When the third
    party signs, everyone is told the agreement is in force."""
    action = "agreement.signature_refused"
    agreement = (
        ExperimentAgreement.objects.select_for_update(of=("self",))
        .select_related("template", "selection__startup", "selection__program", "selection__sponsor")
        .get(pk=agreement.pk)
    )
    if party not in AgreementParty.values:
        raise AgreementRefused(_("Choose a party."), action=action, obj=agreement, reason_code="party")
    if not getattr(user, "is_authenticated", False) or experiment_role(user, agreement.selection) != party:
        raise AgreementRefused(
            _("You cannot sign for %(party)s: only its own people sign for a party of the agreement.")
            % {"party": AgreementParty(party).label},
            action=action,
            obj=agreement,
            reason_code="not_a_party",
            party=party,
        )
    try:
        with transaction.atomic():
            signature = AgreementSignature.objects.create(agreement=agreement, party=party, user=user)
    except IntegrityError as error:
        raise AgreementRefused(
            _("%(party)s has already signed this agreement.") % {"party": AgreementParty(party).label},
            action=action,
            obj=agreement,
            reason_code="already_signed",
            party=party,
        ) from error
    record(action="agreement.signed", actor=user, obj=agreement, party=party, version=agreement.template.version)
    if agreement.signatures.count() == len(AgreementParty.values):
        record(action="agreement.in_force", actor=user, obj=agreement, version=agreement.template.version)
        notify(
            kind=AGREEMENT_IN_FORCE,
            recipients=party_people(agreement.selection),
            obj=agreement,
            key=f"in-force-{agreement.pk}",
            url=agreement_url(agreement.selection_id),
            context=_context(agreement),
        )
    return signature
