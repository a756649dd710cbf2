"""What the demo edition contains.

From the record (the seed document): Casablanca ran DataCity with NUMA in 2017, for nine months; the partners were
RATP Dev, Casa Tram, inwi, Lydec, Michelin, LafargeHolcim and the city; they opened data, in-house expertise and
real experimentation sites; eight Moroccan startups were selected, Kezakoo among them (training material for
building-trade applicators); the startups keep the IP of what they build.

Everything else (dates to the hour, challenge texts, the other seven startups, datasets) is invented for the demo
and says so: fictional names carry "(fictive)" and texts start with "Démo".
"""

from datetime import date
from typing import Any

DEMO_NOTE: dict[str, Any] = {
    "fr": "Démo : contenu fictif à des fins de démonstration.",
    "ar": "عرض توضيحي: محتوى خيالي لأغراض العرض.",
    "en": "Demo: fictional content for demonstration purposes.",
}

PROGRAM: dict[str, Any] = {
    "slug": "datacity-casablanca-2017",
    "name": {
        "fr": "DataCity Casablanca 2017",
        "ar": "داتا سيتي الدار البيضاء 2017",
        "en": "DataCity Casablanca 2017",
    },
    "city": {"fr": "Casablanca", "ar": "الدار البيضاء", "en": "Casablanca"},
    "description": {
        "fr": (
            "Programme d'innovation ouverte de neuf mois, co-organisé par la ville de Casablanca et NUMA, déjà "
            "expérimenté à Paris en 2015. Les partenaires ont mis à disposition des données, des expertises "
            "internes et des terrains d'expérimentation concrets ; huit start-up marocaines ont été sélectionnées "
            "et ont prototypé leurs solutions en co-construction avec la municipalité. La propriété intellectuelle "
            "des solutions développées reste aux start-up."
        ),
        "ar": (
            "برنامج للابتكار المفتوح مدته تسعة أشهر، نظمته مدينة الدار البيضاء بالشراكة مع NUMA. وضع الشركاء "
            "بياناتهم وخبراتهم الداخلية ومواقع تجريب حقيقية رهن إشارة ثماني شركات ناشئة مغربية تم انتقاؤها. "
            "تبقى الملكية الفكرية للحلول المطورة للشركات الناشئة."
        ),
        "en": (
            "A nine-month open-innovation program co-organised by the city of Casablanca and NUMA, first run in "
            "Paris in 2015. Partners opened data, in-house expertise and real experimentation sites; eight Moroccan "
            "startups were selected and prototyped their solutions together with the municipality. The startups "
            "keep the intellectual property of what they build."
        ),
    },
    "starts_on": date(2017, 2, 1),
    "ends_on": date(2017, 10, 31),
    "time_zone": "Africa/Casablanca",
}

# (kind, local start, local end, titles); times are wall-clock times in Africa/Casablanca. The selection and
# co-construction phases cross Ramadan 2017, when Morocco suspended daylight saving time: zoneinfo knows.
# (kind, start, end, titles): start and end are (year, month, day, hour, minute) in the edition's time zone.
PHASES: list[tuple[str, tuple[int, int, int, int, int], tuple[int, int, int, int, int], dict[str, str]]] = [
    (
        "challenge_definition",
        (2017, 2, 1, 9, 0),
        (2017, 4, 3, 9, 0),
        {"fr": "Définition des défis", "ar": "تحديد التحديات", "en": "Challenge definition"},
    ),
    (
        "call_for_applications",
        (2017, 4, 3, 9, 0),
        (2017, 5, 15, 18, 0),
        {"fr": "Appel à candidatures", "ar": "طلب الترشيحات", "en": "Call for applications"},
    ),
    (
        "selection",
        (2017, 5, 15, 18, 0),
        (2017, 6, 12, 18, 0),
        {"fr": "Sélection", "ar": "الانتقاء", "en": "Selection"},
    ),
    (
        "co_construction",
        (2017, 6, 12, 18, 0),
        (2017, 7, 3, 9, 0),
        {"fr": "Co-construction", "ar": "البناء المشترك", "en": "Co-construction"},
    ),
    (
        "prototyping",
        (2017, 7, 3, 9, 0),
        (2017, 10, 2, 9, 0),
        {
            "fr": "Prototypage et expérimentation",
            "ar": "النمذجة والتجريب",
            "en": "Prototyping and experimentation",
        },
    ),
    (
        "demo_day",
        (2017, 10, 2, 9, 0),
        (2017, 10, 20, 18, 0),
        {"fr": "Évaluation et demo day", "ar": "التقييم ويوم العرض", "en": "Evaluation and demo day"},
    ),
    (
        # Phases fall within their edition's dates (the nine months of the record): follow-up is its last weeks.
        "follow_up",
        (2017, 10, 20, 18, 0),
        (2017, 10, 31, 18, 0),
        {"fr": "Suivi des partenariats", "ar": "تتبع الشراكات", "en": "Partnership follow-up"},
    ),
]

# slug, kind, names, one-line description (what the organisation is), website
PARTNERS: list[Any] = [
    (
        "ville-de-casablanca",
        "city",
        {"fr": "Ville de Casablanca", "ar": "مدينة الدار البيضاء", "en": "City of Casablanca"},
        {
            "fr": "La commune, co-organisatrice du programme et porteuse de défis urbains.",
            "ar": "الجماعة، شريكة في تنظيم البرنامج وصاحبة تحديات حضرية.",
            "en": "The municipality, co-organiser of the program and owner of urban challenges.",
        },
        "https://www.casablancacity.ma/",
    ),
    (
        "numa",
        "technical_sponsor",
        {"fr": "NUMA", "ar": "NUMA", "en": "NUMA"},
        {
            "fr": "Opérateur du programme DataCity, lancé à Paris en 2015.",
            "ar": "مشغل برنامج داتا سيتي الذي انطلق في باريس سنة 2015.",
            "en": "Operator of the DataCity program, first run in Paris in 2015.",
        },
        "",
    ),
    ("ratp-dev", "company", {"fr": "RATP Dev", "ar": "RATP Dev", "en": "RATP Dev"}, None, ""),
    ("casa-tram", "company", {"fr": "Casa Tram", "ar": "كازا ترام", "en": "Casa Tram"}, None, ""),
    ("inwi", "company", {"fr": "inwi", "ar": "إنوي", "en": "inwi"}, None, ""),
    ("lydec", "company", {"fr": "Lydec", "ar": "ليديك", "en": "Lydec"}, None, ""),
    ("michelin", "company", {"fr": "Michelin", "ar": "ميشلان", "en": "Michelin"}, None, ""),
    (
        "lafargeholcim",
        "company",
        {"fr": "LafargeHolcim", "ar": "لافارج هولسيم", "en": "LafargeHolcim"},
        None,
        "",
    ),
]

THEMES: list[Any] = [
    ("mobilite", {"fr": "Mobilité", "ar": "التنقل", "en": "Mobility"}),
    ("energie", {"fr": "Énergie", "ar": "الطاقة", "en": "Energy"}),
    ("eau", {"fr": "Eau", "ar": "الماء", "en": "Water"}),
    ("construction", {"fr": "Construction", "ar": "البناء", "en": "Construction"}),
    ("dechets", {"fr": "Déchets", "ar": "النفايات", "en": "Waste"}),
    ("numerique", {"fr": "Numérique", "ar": "الرقمنة", "en": "Digital"}),
]

# slug, owner, co-sponsors, themes, featured, title, summary, problem statement (fr, en), KPIs (fr, en)
CHALLENGES: list[Any] = [
    {
        "slug": "tram-heures-de-pointe",
        "owner": "casa-tram",
        "co_sponsors": ["ratp-dev"],
        "themes": ["mobilite"],
        "featured": True,
        "title": {
            "fr": "Fluidifier le tramway aux heures de pointe",
            "ar": "تحسين انسيابية الترام في ساعات الذروة",
            "en": "Easing the tramway at rush hour",
        },
        "summary": {
            "fr": "Démo : mieux répartir les voyageurs entre les rames et les stations.",
            "ar": "عرض توضيحي: توزيع أفضل للمسافرين بين العربات والمحطات.",
            "en": "Demo: spreading passengers better across trains and stations.",
        },
        "problem": {
            "fr": "Démo : aux heures de pointe, certaines stations saturent tandis que d'autres rames roulent à moitié "
            "vides. Comment informer et orienter les voyageurs pour réduire l'attente et l'inconfort ?",
            "en": "Demo: at rush hour some stations overflow while other trains run half empty. How can passengers be "
            "informed and guided to cut waiting and crowding?",
        },
        "kpis": {
            "fr": "Temps d'attente moyen en station\nTaux de remplissage des rames\nSatisfaction voyageurs",
            "en": "Average waiting time at stations\nTrain occupancy rate\nPassenger satisfaction",
        },
    },
    {
        "slug": "pertes-eau-reseau",
        "owner": "lydec",
        "co_sponsors": ["ville-de-casablanca"],
        "themes": ["eau"],
        "featured": True,
        "title": {
            "fr": "Réduire les pertes d'eau sur le réseau",
            "ar": "تقليص ضياع الماء في الشبكة",
            "en": "Cutting water losses on the network",
        },
        "summary": {
            "fr": "Démo : détecter plus tôt les fuites du réseau de distribution.",
            "ar": "عرض توضيحي: الكشف المبكر عن تسربات شبكة التوزيع.",
            "en": "Demo: detecting leaks in the distribution network earlier.",
        },
        "problem": {
            "fr": "Démo : une part de l'eau produite n'arrive jamais au robinet. Comment repérer et localiser les "
            "fuites plus tôt, avec les données de comptage existantes ?",
            "en": "Demo: part of the water produced never reaches a tap. How can leaks be spotted and located "
            "earlier with the metering data that already exists?",
        },
        "kpis": {
            "fr": "Rendement du réseau\nDélai moyen de détection d'une fuite",
            "en": "Network efficiency\nAverage time to detect a leak",
        },
    },
    {
        "slug": "qualite-chantiers",
        "owner": "lafargeholcim",
        "co_sponsors": ["ville-de-casablanca"],
        "themes": ["construction"],
        "featured": True,
        "title": {
            "fr": "Monter en qualité sur les chantiers",
            "ar": "الرفع من جودة البناء في الأوراش",
            "en": "Raising build quality on construction sites",
        },
        "summary": {
            "fr": "Démo : former les applicateurs du bâtiment aux bons gestes.",
            "ar": "عرض توضيحي: تكوين عمال البناء على الممارسات الجيدة.",
            "en": "Demo: training building-trade applicators in the right techniques.",
        },
        "problem": {
            "fr": "Démo : les défauts de mise en œuvre coûtent cher et fragilisent les bâtiments. Comment diffuser "
            "les bonnes pratiques auprès des applicateurs, sur le chantier et dans leur langue ?",
            "en": "Demo: poor workmanship is costly and weakens buildings. How can good practice reach "
            "applicators on site, in their own language?",
        },
        "kpis": {
            "fr": "Nombre d'applicateurs formés\nTaux de non-conformité constaté",
            "en": "Applicators trained\nNon-conformity rate found on inspection",
        },
    },
    {
        "slug": "collecte-dechets",
        "owner": "ville-de-casablanca",
        "co_sponsors": [],
        "themes": ["dechets"],
        "featured": True,
        "title": {
            "fr": "Optimiser la collecte des déchets ménagers",
            "ar": "تحسين جمع النفايات المنزلية",
            "en": "Optimising household waste collection",
        },
        "summary": {
            "fr": "Démo : adapter les tournées au remplissage réel des conteneurs.",
            "ar": "عرض توضيحي: ملاءمة جولات الجمع مع الامتلاء الفعلي للحاويات.",
            "en": "Demo: fitting collection rounds to how full bins really are.",
        },
        "problem": {
            "fr": "Démo : des conteneurs débordent pendant que d'autres sont vidés à moitié pleins. Comment "
            "planifier les tournées selon le besoin réel ?",
            "en": "Demo: some bins overflow while others are emptied half full. How can rounds be planned on "
            "real need?",
        },
        "kpis": {
            "fr": "Conteneurs débordants signalés\nKilomètres parcourus par tonne collectée",
            "en": "Overflowing bins reported\nKilometres driven per tonne collected",
        },
    },
    {
        "slug": "securite-routiere-pneumatiques",
        "owner": "michelin",
        "co_sponsors": ["ratp-dev"],
        "themes": ["mobilite"],
        "featured": False,
        "title": {
            "fr": "Sécurité routière et entretien des pneumatiques",
            "ar": "السلامة الطرقية وصيانة الإطارات",
            "en": "Road safety and tyre maintenance",
        },
        "summary": {
            "fr": "Démo : sensibiliser les conducteurs professionnels à l'état de leurs pneus.",
            "ar": "عرض توضيحي: توعية السائقين المهنيين بحالة إطاراتهم.",
            "en": "Demo: making professional drivers aware of their tyres' condition.",
        },
        "problem": {
            "fr": "Démo : des pneus usés ou sous-gonflés augmentent le risque d'accident et la consommation. "
            "Comment aider les flottes urbaines à les contrôler simplement ?",
            "en": "Demo: worn or under-inflated tyres raise accident risk and fuel use. How can urban fleets "
            "check them simply?",
        },
        "kpis": {
            "fr": "Véhicules contrôlés\nPression moyenne mesurée",
            "en": "Vehicles checked\nAverage pressure",
        },
    },
    {
        "slug": "quartiers-connectes",
        "owner": "inwi",
        "co_sponsors": ["ville-de-casablanca"],
        "themes": ["numerique"],
        "featured": False,
        "title": {
            "fr": "Quartiers connectés : des capteurs au service des habitants",
            "ar": "أحياء متصلة: مستشعرات في خدمة السكان",
            "en": "Connected neighbourhoods: sensors serving residents",
        },
        "summary": {
            "fr": "Démo : utiliser l'internet des objets pour des services de proximité.",
            "ar": "عرض توضيحي: استعمال إنترنت الأشياء لخدمات القرب.",
            "en": "Demo: using the internet of things for local services.",
        },
        "problem": {
            "fr": "Démo : quels services de proximité un réseau de capteurs peut-il rendre aux habitants, sans "
            "collecter de données personnelles ?",
            "en": "Demo: which local services can a sensor network offer residents without collecting personal data?",
        },
        "kpis": {"fr": "Capteurs déployés\nUsagers actifs", "en": "Sensors deployed\nActive users"},
    },
    {
        "slug": "eclairage-public",
        "owner": "lydec",
        "co_sponsors": ["ville-de-casablanca"],
        "themes": ["energie"],
        "featured": False,
        "title": {
            "fr": "Un éclairage public plus sobre",
            "ar": "إنارة عمومية أكثر اقتصادا",
            "en": "Leaner public lighting",
        },
        "summary": {
            "fr": "Démo : réduire la consommation de l'éclairage sans dégrader la sécurité.",
            "ar": "عرض توضيحي: خفض استهلاك الإنارة دون المساس بالسلامة.",
            "en": "Demo: cutting lighting consumption without reducing safety.",
        },
        "problem": {
            "fr": "Démo : l'éclairage public pèse lourd dans la facture énergétique de la ville. Comment l'adapter "
            "à l'usage réel des rues ?",
            "en": "Demo: public lighting weighs heavily on the city's energy bill. How can it follow how streets "
            "are really used?",
        },
        "kpis": {"fr": "kWh consommés par point lumineux", "en": "kWh used per light point"},
    },
]

# slug, name, sector, city, founded, challenge, sponsor, pitch (fr, ar, en)
STARTUPS: list[Any] = [
    (
        "kezakoo",
        "Kezakoo",
        "education",
        "",
        None,
        "qualite-chantiers",
        "lafargeholcim",
        {
            "fr": "Supports de formation pour les applicateurs du bâtiment, pour accompagner la montée en qualité "
            "de la construction à Casablanca.",
            "ar": "محتوى تكويني لعمال البناء لمواكبة الرفع من جودة البناء في الدار البيضاء.",
            "en": "Training material for building-trade applicators, to help raise construction quality in Casablanca.",
        },
    ),
    (
        "tramflow-fictive",
        "TramFlow (fictive)",
        "mobility",
        "Casablanca",
        2016,
        "tram-heures-de-pointe",
        "casa-tram",
        {
            "fr": "Démo : prévision d'affluence en station pour les voyageurs du tramway.",
            "ar": "عرض توضيحي: توقع الازدحام في محطات الترام.",
            "en": "Demo: crowding forecasts at tram stations for passengers.",
        },
    ),
    (
        "aquasense-fictive",
        "AquaSense (fictive)",
        "water",
        "Casablanca",
        2015,
        "pertes-eau-reseau",
        "lydec",
        {
            "fr": "Démo : détection de fuites par analyse des données de comptage.",
            "ar": "عرض توضيحي: كشف التسربات بتحليل بيانات العدادات.",
            "en": "Demo: leak detection from metering data.",
        },
    ),
    (
        "binsmart-fictive",
        "BinSmart (fictive)",
        "waste",
        "Rabat",
        2016,
        "collecte-dechets",
        "ville-de-casablanca",
        {
            "fr": "Démo : capteurs de remplissage et tournées de collecte optimisées.",
            "ar": "عرض توضيحي: مستشعرات الامتلاء وتحسين جولات الجمع.",
            "en": "Demo: fill-level sensors and optimised collection rounds.",
        },
    ),
    (
        "pneucheck-fictive",
        "PneuCheck (fictive)",
        "mobility",
        "Casablanca",
        2017,
        "securite-routiere-pneumatiques",
        "michelin",
        {
            "fr": "Démo : contrôle des pneumatiques par photo pour les flottes urbaines.",
            "ar": "عرض توضيحي: فحص الإطارات بالصور لأساطيل المدينة.",
            "en": "Demo: photo-based tyre checks for urban fleets.",
        },
    ),
    (
        "darnet-fictive",
        "DarNet (fictive)",
        "telecom",
        "Casablanca",
        2014,
        "quartiers-connectes",
        "inwi",
        {
            "fr": "Démo : réseau de capteurs de quartier et services de proximité.",
            "ar": "عرض توضيحي: شبكة مستشعرات للحي وخدمات القرب.",
            "en": "Demo: neighbourhood sensor network and local services.",
        },
    ),
    (
        "lumina-fictive",
        "Lumina (fictive)",
        "energy",
        "Marrakech",
        2016,
        "eclairage-public",
        "lydec",
        {
            "fr": "Démo : éclairage public piloté selon la fréquentation des rues.",
            "ar": "عرض توضيحي: إنارة عمومية موجهة حسب حركة الشوارع.",
            "en": "Demo: street lighting driven by street use.",
        },
    ),
    (
        "ecoroute-fictive",
        "EcoRoute (fictive)",
        "mobility",
        "Casablanca",
        2015,
        "tram-heures-de-pointe",
        "ratp-dev",
        {
            "fr": "Démo : calcul d'itinéraires multimodaux bas carbone.",
            "ar": "عرض توضيحي: حساب مسارات متعددة الوسائط منخفضة الكربون.",
            "en": "Demo: low-carbon multimodal journey planning.",
        },
    ),
]

# slug, owner, access level, licence, challenges, titles
DATASETS: list[Any] = [
    (
        "frequentation-stations-tram",
        "casa-tram",
        "participants",
        "proprietary",
        ["tram-heures-de-pointe"],
        {
            "fr": "Fréquentation horaire des stations de tramway (démo)",
            "ar": "عدد ركاب محطات الترام حسب الساعة (عرض)",
            "en": "Hourly tram station ridership (demo)",
        },
    ),
    (
        "comptage-eau-secteurs",
        "lydec",
        "restricted",
        "proprietary",
        ["pertes-eau-reseau"],
        {
            "fr": "Volumes d'eau par secteur de distribution (démo)",
            "ar": "أحجام الماء حسب قطاع التوزيع (عرض)",
            "en": "Water volumes by distribution sector (demo)",
        },
    ),
    (
        "points-lumineux",
        "lydec",
        "public",
        "odbl-1.0",
        ["eclairage-public"],
        {
            "fr": "Inventaire des points lumineux (démo)",
            "ar": "جرد نقط الإنارة العمومية (عرض)",
            "en": "Street light inventory (demo)",
        },
    ),
    (
        "conteneurs-dechets",
        "ville-de-casablanca",
        "public",
        "etalab-2.0",
        ["collecte-dechets"],
        {
            "fr": "Emplacement des conteneurs à déchets (démo)",
            "ar": "مواقع حاويات النفايات (عرض)",
            "en": "Waste bin locations (demo)",
        },
    ),
]

DEMO_PASSWORD = "datacity-demo"  # noqa: S105 - published on purpose; demo accounts are refused in production
# Staff and jury must use two-factor authentication: their demo accounts come enrolled with this published TOTP
# secret (add it to any authenticator app). Never usable in production: demo accounts cannot log in there.
DEMO_TOTP_SECRET = "DATACITYDEMODATACITYDEMO"  # noqa: S105
DEMO_ACCOUNTS: list[Any] = [
    # email, full name, role, organisation slug
    ("staff@demo.example.org", "Staff (démo)", "staff", None),
    ("partner@demo.example.org", "Partenaire Lydec (démo)", "partner", "lydec"),
    ("startup@demo.example.org", "Fondatrice Kezakoo (démo)", "startup", "kezakoo"),
    ("jury@demo.example.org", "Juré (démo)", "jury", None),
]

# The public pages of the demo edition, in French, Arabic and English: what `make bench` times and the tests open.
PUBLIC_PAGES = [
    "/",
    "/programs/datacity-casablanca-2017/",
    "/challenges/",
    "/challenges/?partner=lydec",
    "/challenges/qualite-chantiers/",
    "/partners/",
    "/partners/lydec/",
    "/startups/",
    "/startups/kezakoo/",
    "/ar/",
    "/ar/challenges/qualite-chantiers/",
    "/en/challenges/",
    "/programs/",
    "/ar/programs/",
    "/ar/programs/datacity-casablanca-2017/",
]
