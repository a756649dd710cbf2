"""The demo's experimentation agreements: in each edition where the demo startup (Kezakoo) is selected with a
sponsoring partner (the 2017 edition, and the running demo edition with Lydec), the edition's agreement template (an
invented text, in French, Arabic and English, marked "Démo"), offered to it and signed by the three parties, so that
its data access and site booking (loaded after this) are allowed. Run after the running edition's selection
(`pilots.py`) and before `load_access` and `load_sites`.

Idempotent: a second run changes nothing. The template, the offer and the signatures go through the services staff,
partners and startups use, so they are audited and notified as in real use (but see `_partner_signs` for 2017).
"""

from django.contrib.auth import get_user_model

from datacity.audit.services import record
from datacity.demo import content
from partners.models import PartnerMembership
from startups import agreements
from startups.models import AgreementParty, AgreementSignature, Selection

TEXTS = {
    "text": {
        "fr": (
            "Démo – Convention d'expérimentation tripartite (texte inventé pour la démonstration).\n\n"
            "1. La ville et le partenaire ouvrent à la startup les données et les sites nécessaires à son prototype.\n"
            "2. Les parties gardent confidentielles les informations qu'elles échangent.\n"
            "3. L'expérimentation dure jusqu'à la fin de l'édition.\n"
            "4. Les résultats agrégés sont publiés d'un commun accord."
        ),
        "ar": (
            "عرض – اتفاقية تجريب ثلاثية (نص مُتخيَّل لأغراض العرض).\n\n"
            "1. تتيح المدينة والشريك للشركة الناشئة المعطيات والمواقع اللازمة لنموذجها الأولي.\n"
            "2. تحافظ الأطراف على سرية المعلومات المتبادلة.\n"
            "3. يستمر التجريب حتى نهاية الدورة.\n"
            "4. تُنشر النتائج المجمّعة باتفاق مشترك."
        ),
        "en": (
            "Demo – Tripartite experimentation agreement (text invented for the demonstration).\n\n"
            "1. The city and the partner open to the startup the data and sites its prototype needs.\n"
            "2. The parties keep confidential the information they exchange.\n"
            "3. The experimentation runs until the end of the edition.\n"
            "4. Aggregated results are published by common consent."
        ),
    },
    "ip_clause": {
        "fr": (
            "Démo – La startup conserve la propriété intellectuelle de tout ce qu'elle développe pendant "
            "l'expérimentation. La ville et le partenaire reçoivent un droit d'usage gratuit et non exclusif des "
            "résultats pour leur évaluation et leur publication."
        ),
        "ar": (
            "عرض – تحتفظ الشركة الناشئة بالملكية الفكرية لكل ما تطوره خلال التجريب. وتحصل المدينة والشريك على حق "
            "استعمال مجاني وغير حصري للنتائج من أجل تقييمها ونشرها."
        ),
        "en": (
            "Demo – The startup keeps the intellectual property of everything it builds during the experimentation. "
            "The city and the partner receive a free, non-exclusive right to use the results for their evaluation "
            "and publication."
        ),
    },
}


def _account(role: str):
    email = next(email for email, _name, kind, _org in content.DEMO_ACCOUNTS if kind == role)
    return get_user_model()._default_manager.filter(email=email).first()


def load_agreements() -> None:
    staff, founder = _account("staff"), _account("startup")
    startup_slug = next(org for _email, _name, kind, org in content.DEMO_ACCOUNTS if kind == "startup")
    if staff is None or founder is None:
        return  # No demo accounts (DEMO_ACCOUNTS_ENABLED off): nobody to sign, and no demo access or booking.
    selections = Selection.objects.public().filter(startup__slug=startup_slug, sponsor__isnull=False)
    for selection in selections.select_related("program", "sponsor"):
        if agreements.latest_template(selection.program_id) is None:
            agreements.template_publish(
                program=selection.program,
                actor=staff,
                text=TEXTS["text"]["fr"],
                ip_clause=TEXTS["ip_clause"]["fr"],
                translations={
                    f"{field}_{language}": value
                    for field, values in TEXTS.items()
                    for language, value in values.items()
                },
            )
        agreement = agreements.agreement_for(selection) or agreements.agreement_offer(selection=selection, actor=staff)
        signed = set(agreement.signatures.values_list("party", flat=True))
        if AgreementParty.CITY not in signed:
            agreements.agreement_sign(agreement=agreement, user=staff, party=AgreementParty.CITY)
        if AgreementParty.PARTNER not in signed:
            _partner_signs(agreement, selection, staff=staff)
        if AgreementParty.STARTUP not in signed:
            agreements.agreement_sign(agreement=agreement, user=founder, party=AgreementParty.STARTUP)


def _partner_signs(agreement, selection: Selection, *, staff) -> None:
    member = PartnerMembership.objects.filter(partner__sponsored_selections=selection).select_related("user").first()
    if member is not None:
        agreements.agreement_sign(agreement=agreement, user=member.user, party=AgreementParty.PARTNER)
        return
    # The demo's partner account belongs to Lydec, and Kezakoo's sponsor (LafargeHolcim) has no demo member: nobody
    # may sign for it through the service, which only lets a sponsor's member sign. The signature is written
    # directly, in the demo staff account's name, and the audit log says it was done so for the demo.
    AgreementSignature.objects.create(agreement=agreement, party=AgreementParty.PARTNER, user=staff)
    record(
        action="agreement.signed",
        actor=staff,
        obj=agreement,
        party=AgreementParty.PARTNER.value,
        version=agreement.template.version,
        demo="signed for the sponsoring partner, which has no demo account",
    )
