"""The catalogue for machines: DCAT-AP 3 (an RDF graph, served as JSON-LD) for harvesters, and schema.org
`Dataset` JSON-LD for search engines. Both describe metadata only: no file URL ever leaves here.

The DCAT-AP export is built with rdflib rather than by hand-writing JSON: the graph is what the SHACL shapes
validate, and rdflib writes the JSON-LD (language-tagged literals, typed dates, IRIs) without a hand-made @context
that could drift from the vocabularies.
"""

import json
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.db.models import Max, Min
from django.urls import reverse
from django.utils import translation
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext
from modeltranslation.utils import build_localized_fieldname
from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, RDF, SKOS, XSD

from partners.models import Partner, PartnerKind

from .models import (
    DATA_THEME_URI,
    FREQUENCY_URI,
    LANGUAGE_URI,
    AccessLevel,
    DataLanguage,
    Dataset,
    DataTheme,
    Licence,
    UpdateFrequency,
)
from .permissions import datasets_visible_to

LANGUAGES = tuple(settings.MODELTRANSLATION_LANGUAGES)
ACCESS_RIGHTS = Namespace("http://publications.europa.eu/resource/authority/access-right/")
PUBLISHER_TYPE = Namespace("http://purl.org/adms/publishertype/")
VCARD = Namespace("http://www.w3.org/2006/vcard/ns#")
# The interface languages as EU language codes (dct:language of the catalogue).
INTERFACE_LANGUAGES = {"fr": DataLanguage.FRA, "ar": DataLanguage.ARA, "en": DataLanguage.ENG}
# schema.org's inLanguage takes BCP 47 tags.
BCP47: dict[str, str] = {"FRA": "fr", "ARA": "ar", "ENG": "en", "ZXX": "zxx"}
LICENCE_URLS = {
    Licence.ETALAB_2: "https://www.etalab.gouv.fr/licence-ouverte-open-licence/",
    Licence.ODBL: "https://opendatacommons.org/licenses/odbl/1-0/",
    Licence.CC_BY: "https://creativecommons.org/licenses/by/4.0/",
    Licence.CC0: "https://creativecommons.org/publicdomain/zero/1.0/",
}
# `<`, `>` and `&` escaped, so a text cannot close the script element it is embedded in.
_SCRIPT_ESCAPES = {ord("<"): "\\u003C", ord(">"): "\\u003E", ord("&"): "\\u0026"}


def absolute(path: str) -> str:
    """A stable address on the platform: identifiers must not depend on the host a request came through."""
    return f"{settings.SITE_URL}{path}"


def dataset_url(dataset: Dataset) -> str:
    """The dataset's page (dcat:landingPage)."""
    with translation.override(settings.LANGUAGE_CODE):
        return absolute(reverse("datasets:detail", kwargs={"slug": dataset.slug}))


def dataset_iri(dataset: Dataset) -> str:
    """The dataset itself, as distinct from the page about it."""
    return f"{dataset_url(dataset)}#dataset"


def partner_url(partner: Partner) -> str:
    with translation.override(settings.LANGUAGE_CODE):
        return absolute(reverse("partners:detail", kwargs={"slug": partner.slug}))


def translations(instance: Any, field: str) -> dict[str, str]:
    """The non-empty texts of a translated field, by language."""
    texts = {}
    for language in LANGUAGES:
        value = (getattr(instance, build_localized_fieldname(field, language)) or "").strip()
        if value:
            texts[language] = value
    return texts


def _translated_literals(texts: dict[str, str]) -> list[Literal]:
    return [Literal(text, lang=language) for language, text in texts.items()]


def _in_every_language(message: str, **values: Any) -> list[Literal]:
    """An interface text in each language it is translated into (English, the source, always): a literal is
    never tagged with a language it is not written in."""
    literals = [Literal(message % values, lang="en")]
    for language in LANGUAGES:
        with translation.override(language):
            translated = gettext(message)
        if language != "en" and translated != message:
            literals.append(Literal(translated % values, lang=language))
    return literals


class _CatalogGraph:
    """One graph, each shared node (a partner, a theme, a frequency...) described once."""

    def __init__(self) -> None:
        self.graph = Graph(bind_namespaces="none")  # only the prefixes the export uses, in its @context
        namespaces = (("dcat", DCAT), ("dct", DCTERMS), ("foaf", FOAF), ("skos", SKOS), ("vcard", VCARD), ("xsd", XSD))
        for prefix, namespace in namespaces:
            self.graph.bind(prefix, namespace)
        self.described: set[URIRef] = set()

    def add(self, subject: Any, predicate: URIRef, objects: Any) -> None:
        for value in objects if isinstance(objects, list) else [objects]:
            self.graph.add((subject, predicate, value))

    def concept(self, uri: str, kind: URIRef, label: str) -> URIRef:
        node = URIRef(uri)
        if node not in self.described:
            self.described.add(node)
            self.add(node, RDF.type, kind)
            if kind == SKOS.Concept:
                self.add(node, SKOS.prefLabel, Literal(label, lang="en"))
            else:
                self.add(node, RDF.type, SKOS.Concept)
                self.add(node, SKOS.prefLabel, Literal(label, lang="en"))
        return node

    def agent(self, partner: Partner) -> URIRef:
        node = URIRef(partner_url(partner))
        if node not in self.described:
            self.described.add(node)
            self.add(node, RDF.type, [FOAF.Agent, FOAF.Organization])
            self.add(node, FOAF.name, _translated_literals(translations(partner, "name")) or Literal(partner.name))
            kind = "LocalAuthority" if partner.kind == PartnerKind.CITY else "Company"
            self.add(node, DCTERMS.type, self.concept(str(PUBLISHER_TYPE[kind]), SKOS.Concept, kind))
            if partner.website:
                self.add(node, FOAF.homepage, self.document(partner.website))
        return node

    def document(self, url: str) -> URIRef:
        node = URIRef(url)
        self.add(node, RDF.type, FOAF.Document)
        return node

    def language(self, code: str) -> URIRef:
        return self.concept(f"{LANGUAGE_URI}{code}", DCTERMS.LinguisticSystem, str(code))

    def dataset(self, dataset: Dataset) -> URIRef:
        node = URIRef(dataset_iri(dataset))
        add = self.add
        add(node, RDF.type, DCAT.Dataset)
        add(node, DCTERMS.identifier, Literal(dataset_iri(dataset)))
        titles = translations(dataset, "title")
        add(node, DCTERMS.title, _translated_literals(titles))
        descriptions = translations(dataset, "description")
        if descriptions:
            add(node, DCTERMS.description, _translated_literals(descriptions))
        else:  # mandatory in DCAT-AP: say at least what it is and who shares it
            title = titles.get(settings.MODELTRANSLATION_DEFAULT_LANGUAGE) or dataset.slug
            add(
                node,
                DCTERMS.description,
                _in_every_language("%(title)s, shared by %(partner)s.", title=title, partner=dataset.owner.name),
            )
        add(node, DCTERMS.publisher, self.agent(dataset.owner))
        add(node, DCAT.landingPage, self.document(dataset_url(dataset)))
        for language, keywords in translations(dataset, "keywords").items():
            for keyword in (word.strip() for word in keywords.split(",")):
                if keyword:
                    add(node, DCAT.keyword, Literal(keyword, lang=language))
        for code in dataset.themes:
            if code in DataTheme.values:
                add(node, DCAT.theme, self.concept(f"{DATA_THEME_URI}{code}", SKOS.Concept, str(DataTheme(code).label)))
        if dataset.contact_name or dataset.contact_email:
            contact = BNode()
            add(contact, RDF.type, VCARD.Kind)
            add(contact, VCARD.fn, Literal(dataset.contact_name or dataset.owner.name))
            if dataset.contact_email:
                add(contact, VCARD.hasEmail, URIRef(f"mailto:{dataset.contact_email}"))
            add(node, DCAT.contactPoint, contact)
        if dataset.spatial_coverage:
            place = BNode()
            add(place, RDF.type, DCTERMS.Location)
            add(place, SKOS.prefLabel, Literal(dataset.spatial_coverage))
            add(node, DCTERMS.spatial, place)
        if dataset.temporal_start or dataset.temporal_end:
            period = BNode()
            add(period, RDF.type, DCTERMS.PeriodOfTime)
            if dataset.temporal_start:
                add(period, DCAT.startDate, Literal(dataset.temporal_start, datatype=XSD.date))
            if dataset.temporal_end:
                add(period, DCAT.endDate, Literal(dataset.temporal_end, datatype=XSD.date))
            add(node, DCTERMS.temporal, period)
        frequency = UpdateFrequency(dataset.update_frequency)
        add(
            node,
            DCTERMS.accrualPeriodicity,
            self.concept(f"{FREQUENCY_URI}{frequency.value}", DCTERMS.Frequency, str(frequency.value)),
        )
        add(node, DCTERMS.issued, Literal(dataset.issued or dataset.created_at.date(), datatype=XSD.date))
        add(node, DCTERMS.modified, Literal(dataset.modified or dataset.updated_at.date(), datatype=XSD.date))
        for code in dataset.languages:
            add(node, DCTERMS.language, self.language(code))
        right = "PUBLIC" if dataset.access_level == AccessLevel.PUBLIC else "RESTRICTED"
        add(node, DCTERMS.accessRights, self.concept(str(ACCESS_RIGHTS[right]), DCTERMS.RightsStatement, right))
        return node


def catalog_publisher() -> Partner | None:
    """The city: the catalogue's publisher is the program's organiser, its oldest public partner of kind city."""
    return Partner.objects.public().filter(kind=PartnerKind.CITY).order_by("pk").first()


def dcat_catalog() -> Graph:
    """The public catalogue (the metadata of every dataset of an announced partner) as a DCAT-AP 3 graph."""
    built = _CatalogGraph()
    catalog = URIRef(absolute(reverse("datasets:catalog")))
    add = built.add
    add(catalog, RDF.type, DCAT.Catalog)
    add(catalog, DCTERMS.title, _in_every_language("DataCity data catalogue"))
    add(
        catalog,
        DCTERMS.description,
        _in_every_language(
            "The datasets the partners of the DataCity open-innovation program share with startups: metadata for "
            "everyone, files under each dataset's access level."
        ),
    )
    city = catalog_publisher()
    if city is not None:
        add(catalog, DCTERMS.publisher, built.agent(city))
    else:
        organiser = BNode()
        add(organiser, RDF.type, FOAF.Agent)
        add(organiser, FOAF.name, Literal("DataCity"))
        add(catalog, DCTERMS.publisher, organiser)
    with translation.override(settings.LANGUAGE_CODE):
        add(catalog, FOAF.homepage, built.document(absolute(reverse("home"))))
    for language in LANGUAGES:
        add(catalog, DCTERMS.language, built.language(INTERFACE_LANGUAGES[language]))
    taxonomy = URIRef(DATA_THEME_URI.rstrip("/"))
    add(taxonomy, RDF.type, SKOS.ConceptScheme)
    add(taxonomy, DCTERMS.title, Literal("Data theme", lang="en"))
    add(catalog, DCAT.themeTaxonomy, taxonomy)
    datasets = datasets_visible_to(AnonymousUser()).for_listing()
    for dataset in datasets:
        add(catalog, DCAT.dataset, built.dataset(dataset))
    dates = datasets.aggregate(first=Min("created_at"), last=Max("updated_at"))
    if dates["first"] is not None:
        add(catalog, DCTERMS.issued, Literal(dates["first"].date(), datatype=XSD.date))
        add(catalog, DCTERMS.modified, Literal(dates["last"].date(), datatype=XSD.date))
    return built.graph


def conditions_of_access(dataset: Dataset) -> str:
    if dataset.access_level == AccessLevel.PARTICIPANTS:
        return gettext("The files are for the members of the startups selected in the program.")
    return gettext("The files are shared on request, under a data-use agreement.")


def schema_org_dataset(dataset: Dataset) -> SafeString:
    """The schema.org `Dataset` of a dataset's page, as the `<script type="application/ld+json">` element that
    embeds it: a data block, never executed, so the Content-Security-Policy (no inline script) does not apply."""
    data: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "Dataset",
        "@id": dataset_iri(dataset),
        "url": dataset_url(dataset),
        "name": dataset.title,
        "description": dataset.description or dataset.title,
        "identifier": dataset.slug,
        "keywords": dataset.keyword_list,
        "isAccessibleForFree": dataset.access_level == AccessLevel.PUBLIC,
        "publisher": {"@type": "Organization", "name": dataset.owner.name, "url": partner_url(dataset.owner)},
        "inLanguage": [BCP47[code] for code in dataset.languages if code in BCP47],
        "dateModified": (dataset.modified or dataset.updated_at.date()).isoformat(),
    }
    if dataset.access_level != AccessLevel.PUBLIC:
        data["conditionsOfAccess"] = conditions_of_access(dataset)
    if dataset.licence in LICENCE_URLS:
        data["license"] = LICENCE_URLS[Licence(dataset.licence)]
    if dataset.issued:
        data["datePublished"] = dataset.issued.isoformat()
    if dataset.spatial_coverage:
        data["spatialCoverage"] = {"@type": "Place", "name": dataset.spatial_coverage}
    if dataset.temporal_start or dataset.temporal_end:
        start = dataset.temporal_start.isoformat() if dataset.temporal_start else ".."
        end = dataset.temporal_end.isoformat() if dataset.temporal_end else ".."
        data["temporalCoverage"] = f"{start}/{end}"
    if dataset.contact_email:
        data["publisher"]["contactPoint"] = {
            "@type": "ContactPoint",
            "name": dataset.contact_name or dataset.owner.name,
            "email": dataset.contact_email,
        }
    if dataset.themes:
        data["about"] = [
            {"@type": "DefinedTerm", "name": label, "url": f"{DATA_THEME_URI}{code}"}
            for code in dataset.themes
            if code in DataTheme.values
            for label in [str(DataTheme(code).label)]
        ]
    text = json.dumps(data, ensure_ascii=False).translate(_SCRIPT_ESCAPES)
    return format_html('<script type="application/ld+json">{}</script>', SafeString(text))
