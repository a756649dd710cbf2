"""What the demo edition contains.

From the record (the seed document): Casablanca ran DataCity with NUMA in 2017, for nine months; the partners were
RATP Dev, Casa Tram, inwi, Lydec, Michelin, LafargeHolcim and the city; they opened data, in-house expertise and
real experimentation sites; eight Moroccan startups were selected, Kezakoo among them (training material for
building-trade applicators); the startups keep the IP of what they build.

Everything else (dates to the hour, challenge texts, the other seven startups, datasets) is invented for the demo
and says so: fictional names carry "(fictive)" and texts start with "Démo".

Beside it, a current demo edition, wholly invented and named as a demo, whose dates are counted from the day the demo
is loaded so that its call for applications is open: its challenges, its application form, and the demo startup's
applications (one draft, one submitted) to try applying. And a running demo edition, invented and named as a demo
too, whose dates are counted back from that day so that it is in its prototyping phase: the demo startup selected
with the demo partner as sponsor, its agreement signed, a deliverable and indicators.
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

# --- The current demo edition ---------------------------------------------------------------------------------
# Invented from end to end and named as a demo. Its dates are counted from the day `load_demo` runs, so that its call
# for applications is open that day: the edition to try applying on.

CURRENT_PROGRAM: dict[str, Any] = {
    "slug": "datacity-casablanca-demo",
    "name": {
        "fr": "DataCity Casablanca – Démo",
        "ar": "داتا سيتي الدار البيضاء – عرض توضيحي",
        "en": "DataCity Casablanca – Demo",
    },
    "city": PROGRAM["city"],
    "description": {
        "fr": (
            "Édition de démonstration, au contenu inventé : ses défis, son formulaire de candidature et ses "
            "candidatures servent à essayer la plateforme. Ses dates suivent le jour où la démo a été chargée, si "
            "bien que son appel à candidatures est ouvert."
        ),
        "ar": (
            "نسخة للعرض التوضيحي بمحتوى خيالي: تحدياتها واستمارة الترشيح والترشيحات فيها مخصصة لتجربة المنصة. "
            "تتبع تواريخها يوم تحميل العرض التوضيحي، لذلك يكون طلب الترشيحات فيها مفتوحا."
        ),
        "en": (
            "A demonstration edition with invented content: its challenges, application form and applications are "
            "there to try the platform. Its dates follow the day the demo was loaded, so its call for applications "
            "is open."
        ),
    },
    "time_zone": PROGRAM["time_zone"],
}

PHASE_TITLES: dict[str, dict[str, str]] = {kind: titles for kind, _start, _end, titles in PHASES}

# (kind, start, end): start and end are (days after the day of loading, hour, minute, second), wall-clock times in
# the edition's time zone. The call closes three weeks ahead at 23:59:59 and selection starts the next morning; the
# edition runs from the first phase's first day to the last one's last day.
CURRENT_PHASES: list[tuple[str, tuple[int, int, int, int], tuple[int, int, int, int]]] = [
    ("challenge_definition", (-52, 9, 0, 0), (-10, 9, 0, 0)),
    ("call_for_applications", (-10, 9, 0, 0), (21, 23, 59, 59)),
    ("selection", (22, 9, 0, 0), (49, 18, 0, 0)),
    ("co_construction", (49, 18, 0, 0), (70, 9, 0, 0)),
    ("prototyping", (70, 9, 0, 0), (161, 9, 0, 0)),
    ("demo_day", (161, 9, 0, 0), (175, 18, 0, 0)),
    ("follow_up", (175, 18, 0, 0), (205, 18, 0, 0)),
]

# As CHALLENGES, with every text in the three languages.
CURRENT_CHALLENGES: list[Any] = [
    {
        "slug": "fuites-eau-logements",
        "owner": "lydec",
        "co_sponsors": ["ville-de-casablanca"],
        "themes": ["eau", "construction"],
        "featured": True,
        "title": {
            "fr": "Moins de fuites d'eau dans les logements",
            "ar": "تقليص تسربات الماء داخل المساكن",
            "en": "Fewer water leaks in homes",
        },
        "summary": {
            "fr": "Démo : aider habitants et plombiers à repérer et réparer les fuites après le compteur.",
            "ar": "عرض توضيحي: مساعدة السكان والسباكين على رصد التسربات بعد العداد وإصلاحها.",
            "en": "Demo: helping residents and plumbers find and fix leaks past the meter.",
        },
        "problem": {
            "fr": "Démo : une chasse d'eau qui fuit peut doubler une facture. Les fuites des installations "
            "intérieures échappent au réseau de distribution et sont souvent découvertes trop tard, faute de repères "
            "pour les habitants et de formation pour les artisans. Comment les repérer tôt et les faire réparer dans "
            "les règles ?",
            "ar": "عرض توضيحي: قد يضاعف صندوق طرد يتسرب منه الماء قيمة الفاتورة. تفلت تسربات التجهيزات الداخلية من "
            "مراقبة شبكة التوزيع، وغالبا ما تكتشف متأخرة لغياب مؤشرات لدى السكان وتكوين لدى الحرفيين. كيف يمكن "
            "رصدها مبكرا وإصلاحها وفق القواعد؟",
            "en": "Demo: a leaking toilet cistern can double a bill. Leaks in home installations lie beyond the "
            "distribution network and are often found too late: residents have no warning signs and tradespeople "
            "little training. How can they be spotted early and repaired properly?",
        },
        "kpis": {
            "fr": "Réclamations pour surconsommation\nDélai entre l'alerte et la réparation\nArtisans formés",
            "ar": "شكايات الاستهلاك المفرط\nالمدة بين التنبيه والإصلاح\nعدد الحرفيين المكونين",
            "en": "Complaints about abnormal consumption\nTime from alert to repair\nTradespeople trained",
        },
    },
    {
        "slug": "ilots-de-chaleur",
        "owner": "ville-de-casablanca",
        "co_sponsors": ["lafargeholcim"],
        "themes": ["energie", "construction"],
        "featured": True,
        "title": {
            "fr": "Rafraîchir les quartiers pendant les vagues de chaleur",
            "ar": "تلطيف حرارة الأحياء خلال موجات الحر",
            "en": "Keeping neighbourhoods cool in heatwaves",
        },
        "summary": {
            "fr": "Démo : faire baisser la chaleur dans les rues et les logements des quartiers les plus exposés.",
            "ar": "عرض توضيحي: خفض الحرارة في شوارع ومساكن الأحياء الأكثر تعرضا.",
            "en": "Demo: bringing heat down in the streets and homes of the most exposed neighbourhoods.",
        },
        "problem": {
            "fr": "Démo : pendant les épisodes de chergui, des quartiers denses, peu arborés et couverts de "
            "toits-terrasses sombres gardent la chaleur toute la nuit. Quels aménagements, matériaux ou services "
            "peuvent rafraîchir rues, écoles et logements, à un coût que la ville et les habitants peuvent porter ?",
            "ar": "عرض توضيحي: خلال موجات الشرقي، تحتفظ أحياء كثيفة، قليلة الأشجار وذات أسطح داكنة، بالحرارة طوال "
            "الليل. ما التهيئات أو المواد أو الخدمات التي يمكن أن تلطف حرارة الشوارع والمدارس والمساكن بتكلفة "
            "تتحملها المدينة والسكان؟",
            "en": "Demo: during chergui heatwaves, dense neighbourhoods with few trees and dark flat roofs hold the "
            "heat all night. Which layouts, materials or services can cool streets, schools and homes at a cost the "
            "city and residents can bear?",
        },
        "kpis": {
            "fr": "Température de surface des toits traités\nÉcart de température nocturne avec un quartier "
            "témoin\nLogements et écoles équipés",
            "ar": "درجة حرارة سطح الأسقف المعالجة\nفرق الحرارة ليلا مقارنة بحي مرجعي\nعدد المساكن والمدارس المجهزة",
            "en": "Surface temperature of treated roofs\nNight-time temperature gap with a control neighbourhood\n"
            "Homes and schools equipped",
        },
    },
    {
        "slug": "correspondances-tram-busway",
        "owner": "casa-tram",
        "co_sponsors": ["ratp-dev"],
        "themes": ["mobilite"],
        "featured": True,
        "title": {
            "fr": "Des correspondances plus simples entre tramway, busway et bus",
            "ar": "تنقل أسهل بين الترام والباصواي والحافلات",
            "en": "Easier connections between tram, busway and bus",
        },
        "summary": {
            "fr": "Démo : guider les voyageurs d'un mode à l'autre et réduire l'attente en correspondance.",
            "ar": "عرض توضيحي: توجيه المسافرين من وسيلة نقل إلى أخرى وتقليص وقت الانتظار عند التحويل.",
            "en": "Demo: guiding passengers from one mode to the next and cutting connection waits.",
        },
        "problem": {
            "fr": "Démo : avec l'extension du réseau, de plus en plus de trajets combinent tramway, busway et bus. "
            "Aux pôles d'échange, l'information est dispersée et les correspondances ratées allongent les trajets. "
            "Comment orienter les voyageurs et coordonner les horaires pour que changer de mode devienne simple ?",
            "ar": "عرض توضيحي: مع توسع الشبكة، أصبحت رحلات كثيرة تجمع بين الترام والباصواي والحافلة. في محطات "
            "التبادل تتشتت المعلومة، وتطيل التحويلات الفائتة مدة الرحلات. كيف يمكن توجيه المسافرين وتنسيق المواعيد "
            "ليصبح تغيير وسيلة النقل أمرا سهلا؟",
            "en": "Demo: as the network grows, more and more journeys combine tram, busway and bus. At interchanges "
            "information is scattered, and missed connections make journeys longer. How can passengers be guided "
            "and timetables coordinated so that changing modes becomes simple?",
        },
        "kpis": {
            "fr": "Temps moyen de correspondance\nCorrespondances manquées\nSatisfaction aux pôles d'échange",
            "ar": "متوسط مدة التحويل\nالتحويلات الفائتة\nرضا المسافرين في محطات التبادل",
            "en": "Average connection time\nMissed connections\nSatisfaction at interchanges",
        },
    },
]

# --- The running demo edition ------------------------------------------------------------------------------------
# Invented from end to end and named as a demo, like the current edition. Its dates are counted from the day
# `load_demo` runs too, but further back, so that on that day it is in its prototyping phase: the demo startup applied,
# was selected with its sponsoring partner, and experiments (agreement signed, deliverables, indicators).

PILOT_PROGRAM: dict[str, Any] = {
    "slug": "datacity-casablanca-demo-pilotes",
    "name": {
        "fr": "DataCity Casablanca – Démo, expérimentations en cours",
        "ar": "داتا سيتي الدار البيضاء – عرض توضيحي، تجارب جارية",
        "en": "DataCity Casablanca – Demo, experiments under way",
    },
    "city": PROGRAM["city"],
    "description": {
        "fr": (
            "Édition de démonstration, au contenu inventé : ses défis ont été posés, ses start-up sélectionnées, et "
            "leurs expérimentations sont en cours (convention signée, livrables, indicateurs). Ses dates suivent le "
            "jour où la démo a été chargée, si bien qu'elle est toujours en phase de prototypage."
        ),
        "ar": (
            "نسخة للعرض التوضيحي بمحتوى خيالي: طُرحت تحدياتها وانتُقيت شركاتها الناشئة، وتجاربها جارية (اتفاقية "
            "موقعة، مخرجات، مؤشرات). تتبع تواريخها يوم تحميل العرض التوضيحي، لذلك تكون دائما في مرحلة النمذجة."
        ),
        "en": (
            "A demonstration edition with invented content: its challenges were posed, its startups selected, and "
            "their experiments are under way (agreement signed, deliverables, indicators). Its dates follow the day "
            "the demo was loaded, so it is always in its prototyping phase."
        ),
    },
    "time_zone": PROGRAM["time_zone"],
}

# As CURRENT_PHASES: (kind, start, end) in days after the day of loading, with wall-clock times. Prototyping runs from
# 75 days before the day of loading to 60 days after it.
PILOT_PHASES: list[tuple[str, tuple[int, int, int, int], tuple[int, int, int, int]]] = [
    ("challenge_definition", (-200, 9, 0, 0), (-170, 9, 0, 0)),
    ("call_for_applications", (-170, 9, 0, 0), (-130, 23, 59, 59)),
    ("selection", (-129, 9, 0, 0), (-100, 18, 0, 0)),
    ("co_construction", (-100, 18, 0, 0), (-75, 9, 0, 0)),
    ("prototyping", (-75, 9, 0, 0), (60, 9, 0, 0)),
    ("demo_day", (60, 9, 0, 0), (67, 18, 0, 0)),
    ("follow_up", (67, 18, 0, 0), (97, 18, 0, 0)),
]
# When, in the same terms, the demo founder submitted the application below (during the call) and when staff published
# the edition's selection (the last day of the selection phase).
PILOT_APPLIED_AT: tuple[int, int, int, int] = (-160, 10, 30, 0)
PILOT_SELECTED_AT: tuple[int, int, int, int] = (-100, 11, 0, 0)

# As CURRENT_CHALLENGES; both posed by Lydec, the demo partner account's organisation.
PILOT_CHALLENGES: list[Any] = [
    {
        "slug": "branchements-bien-poses",
        "owner": "lydec",
        "co_sponsors": ["ville-de-casablanca"],
        "themes": ["eau", "energie", "construction"],
        "featured": False,
        "title": {
            "fr": "Des branchements d'eau et d'électricité posés dans les règles",
            "ar": "توصيلات ماء وكهرباء منجزة وفق القواعد",
            "en": "Water and power connections installed by the book",
        },
        "summary": {
            "fr": "Démo : former les installateurs aux bons gestes de pose des branchements et des compteurs.",
            "ar": "عرض توضيحي: تكوين المركّبين على الممارسات الجيدة في تركيب التوصيلات والعدادات.",
            "en": "Demo: training installers in the right way to fit connections and meters.",
        },
        "problem": {
            "fr": "Démo : une part des fuites, des pannes et des réclamations vient de branchements mal posés par des "
            "installateurs peu formés. Comment diffuser les bons gestes sur le terrain, dans leur langue, et en "
            "mesurer l'effet ?",
            "ar": "عرض توضيحي: جزء من التسربات والأعطاب والشكايات مصدره توصيلات ركّبها عمال قليلو التكوين. كيف "
            "يمكن نشر الممارسات الجيدة في الميدان وبلغتهم، وقياس أثرها؟",
            "en": "Demo: part of the leaks, faults and complaints comes from connections fitted by installers with "
            "little training. How can good practice reach them on site, in their own language, and its effect be "
            "measured?",
        },
        "kpis": {
            "fr": "Installateurs formés\nDéfauts relevés par chantier contrôlé",
            "ar": "عدد المركّبين المكوَّنين\nالعيوب المرصودة في كل ورش مراقَب",
            "en": "Installers trained\nDefects found per inspected site",
        },
    },
    {
        "slug": "reseaux-enterres-travaux",
        "owner": "lydec",
        "co_sponsors": [],
        "themes": ["eau", "energie"],
        "featured": False,
        "title": {
            "fr": "Protéger les réseaux enterrés pendant les travaux de voirie",
            "ar": "حماية الشبكات المدفونة خلال أشغال الطرق",
            "en": "Protecting buried networks during roadworks",
        },
        "summary": {
            "fr": "Démo : éviter que les engins de chantier n'endommagent canalisations et câbles.",
            "ar": "عرض توضيحي: تجنب إتلاف آليات الأوراش للقنوات والكابلات.",
            "en": "Demo: keeping construction machinery from damaging pipes and cables.",
        },
        "problem": {
            "fr": "Démo : chaque mois, des canalisations et des câbles sont arrachés lors de travaux de voirie, "
            "privant des quartiers d'eau ou d'électricité. Comment informer les entreprises de travaux de ce qui "
            "passe sous leurs pieds, avant le premier coup de pelle ?",
            "ar": "عرض توضيحي: كل شهر تُقتلع قنوات وكابلات خلال أشغال الطرق، فتُحرم أحياء من الماء أو الكهرباء. "
            "كيف يمكن إخبار مقاولات الأشغال بما يوجد تحت أقدامها قبل أول ضربة معول؟",
            "en": "Demo: every month pipes and cables are torn out during roadworks, cutting neighbourhoods off from "
            "water or power. How can works contractors learn what lies beneath them before they start digging?",
        },
        "kpis": {
            "fr": "Dommages aux réseaux par mois\nDemandes de plans avant travaux",
            "ar": "الأضرار التي تلحق بالشبكات شهريا\nطلبات التصاميم قبل الأشغال",
            "en": "Network damage per month\nMap requests before works",
        },
    },
]

# The demo startup's application to the running edition, written as its demo founder through the application
# services at PILOT_APPLIED_AT (the edition asks no question of its own). Its words, in French, say it is a demo.
PILOT_APPLICATION: dict[str, Any] = {
    "challenge": "branchements-bien-poses",
    "solution": "Démo : des modules vidéo courts, en darija et en français, qui montrent aux installateurs la pose "
    "d'un branchement et d'un compteur dans les règles, avec un quiz de fin de module et une grille de contrôle "
    "partagée avec le partenaire.",
    "data_use": "Démo : les défauts relevés lors des contrôles de chantier, pour cibler les modules et mesurer leur "
    "effet ; un chantier pilote proposé par le partenaire.",
    "team": "Démo : deux cofondateurs (pédagogie, production vidéo), un formateur installateur, une développeuse.",
    "stage": "market",
}

# The application form. A question is found again by its edition, its challenge (None: asked for every challenge)
# and its order; `key` names it for the applications below. Choices are one per line, in the same order in each
# language (an answer keeps a choice's position). The file question stays optional: the demo uploads no file.
CURRENT_QUESTIONS: list[dict[str, Any]] = [
    {
        "key": "traction",
        "challenge": None,
        "order": 10,
        "kind": "short_text",
        "required": True,
        "label": {"fr": "Votre traction à ce jour", "ar": "ما حققتموه إلى اليوم", "en": "Traction so far"},
        "help_text": {
            "fr": "Clients, utilisateurs, chiffre d'affaires, partenariats : quelques chiffres suffisent.",
            "ar": "الزبناء، المستخدمون، رقم المعاملات، الشراكات: تكفي بعض الأرقام.",
            "en": "Customers, users, revenue, partnerships: a few figures are enough.",
        },
    },
    {
        "key": "success",
        "challenge": None,
        "order": 20,
        "kind": "long_text",
        "required": True,
        "label": {
            "fr": "Comment mesureriez-vous le succès de votre solution ?",
            "ar": "كيف ستقيسون نجاح حلكم؟",
            "en": "How would you measure success?",
        },
        "help_text": {
            "fr": "Les indicateurs que vous suivriez pendant l'expérimentation.",
            "ar": "المؤشرات التي ستتابعونها خلال فترة التجريب.",
            "en": "The indicators you would track during the experimentation.",
        },
    },
    {
        "key": "team_size",
        "challenge": None,
        "order": 30,
        "kind": "number",
        "required": True,
        "label": {"fr": "Taille de l'équipe", "ar": "عدد أفراد الفريق", "en": "Team size"},
        "help_text": {
            "fr": "Personnes à temps plein, fondateurs compris.",
            "ar": "الأشخاص العاملون بدوام كامل، بمن فيهم المؤسسون.",
            "en": "Full-time people, founders included.",
        },
    },
    {
        "key": "website",
        "challenge": None,
        "order": 40,
        "kind": "url",
        "required": False,
        "label": {
            "fr": "Site web ou vidéo de démonstration",
            "ar": "الموقع الإلكتروني أو فيديو العرض",
            "en": "Website or demo video",
        },
    },
    {
        "key": "heard",
        "challenge": None,
        "order": 50,
        "kind": "single_choice",
        "required": True,
        "label": {
            "fr": "Comment avez-vous entendu parler de l'appel ?",
            "ar": "كيف علمتم بطلب الترشيحات؟",
            "en": "How did you hear about the call?",
        },
        "choices": {
            "fr": "Réseaux sociaux\nPresse\nIncubateur ou accélérateur\nUn partenaire du programme\nBouche-à-oreille",
            "ar": "شبكات التواصل الاجتماعي\nالصحافة\nحاضنة أو مسرعة أعمال\nأحد شركاء البرنامج\nعن طريق المعارف",
            "en": "Social media\nPress\nIncubator or accelerator\nA partner of the program\nWord of mouth",
        },
    },
    {
        "key": "data",
        "challenge": None,
        "order": 60,
        "kind": "multiple_choice",
        "required": False,
        "label": {
            "fr": "De quelles données auriez-vous besoin ?",
            "ar": "ما البيانات التي ستحتاجونها؟",
            "en": "Which data would you need?",
        },
        "choices": {
            "fr": "Données de consommation ou de comptage\nDonnées de fréquentation\nDonnées cartographiques (SIG)\n"
            "Données météorologiques\nRéclamations et signalements des usagers",
            "ar": "بيانات الاستهلاك أو العدادات\nبيانات الإقبال\nبيانات خرائطية (نظم المعلومات الجغرافية)\n"
            "بيانات الأرصاد الجوية\nشكايات المرتفقين وإشعاراتهم",
            "en": "Consumption or metering data\nRidership data\nMap data (GIS)\nWeather data\n"
            "Complaints and reports from users",
        },
    },
    {
        "key": "pilot",
        "challenge": None,
        "order": 70,
        "kind": "yes_no",
        "required": True,
        "label": {
            "fr": "Avez-vous déjà mené un pilote avec un organisme public ?",
            "ar": "هل سبق لكم إنجاز مشروع تجريبي مع هيئة عمومية؟",
            "en": "Have you run a pilot with a public body?",
        },
    },
    {
        "key": "pitch_deck",
        "challenge": None,
        "order": 80,
        "kind": "file",
        "required": False,
        "label": {"fr": "Présentation de la start-up (pitch deck)", "ar": "العرض التقديمي للشركة", "en": "Pitch deck"},
        "help_text": {
            "fr": "Facultatif : un PDF de dix pages au plus.",
            "ar": "اختياري: ملف PDF من عشر صفحات على الأكثر.",
            "en": "Optional: a PDF of ten pages at most.",
        },
    },
    {
        "key": "first_neighbourhoods",
        "challenge": "fuites-eau-logements",
        "order": 35,
        "kind": "short_text",
        "required": True,
        "label": {
            "fr": "Par quels quartiers ou quels types de logements commenceriez-vous ?",
            "ar": "بأي أحياء أو أنواع من المساكن ستبدؤون؟",
            "en": "Which neighbourhoods or types of housing would you start with?",
        },
    },
]

# key, statement: every applicant declares meeting each one. Found again by their order (their place in this list).
CURRENT_CONDITIONS: list[tuple[str, dict[str, str]]] = [
    (
        "registered_in_morocco",
        {
            "fr": "La start-up est immatriculée au Maroc.",
            "ar": "الشركة الناشئة مسجلة في المغرب.",
            "en": "The startup is registered in Morocco.",
        },
    ),
    (
        "founded_recently",
        {
            "fr": "La start-up a été créée il y a moins de 7 ans.",
            "ar": "تأسست الشركة الناشئة منذ أقل من 7 سنوات.",
            "en": "The startup was founded less than 7 years ago.",
        },
    ),
    (
        "available_in_casablanca",
        {
            "fr": "Au moins un membre de l'équipe peut travailler à Casablanca pendant le prototypage.",
            "ar": "يستطيع عضو واحد على الأقل من الفريق العمل في الدار البيضاء خلال فترة النمذجة.",
            "en": "At least one team member can work in Casablanca during prototyping.",
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

# The demo startup's applications to the current edition, written as its demo founder (the "startup" account above)
# through the application services: one submitted, one draft left unfinished. Answers are keyed by question `key`,
# eligibility by condition key; texts are the applicant's own words, in French, and say they are a demo.
DEMO_APPLICATIONS: list[dict[str, Any]] = [
    {
        "challenge": "fuites-eau-logements",
        "submit": True,
        "solution": "Démo : des modules vidéo courts, en darija et en français, pour former plombiers et applicateurs "
        "aux bons gestes de pose et de contrôle des installations intérieures (raccords, robinetterie, chasses "
        "d'eau), avec une fiche simple qui apprend aux habitants à lire leur compteur pour repérer une fuite.",
        "data_use": "Démo : les réclamations pour surconsommation par quartier, pour choisir où former en premier et "
        "mesurer l'effet des formations ; un quartier pilote et un formateur proposés par le partenaire.",
        "team": "Démo : deux cofondateurs (pédagogie, production vidéo), un formateur plombier, une développeuse.",
        "stage": "market",
        "eligibility": ["registered_in_morocco", "founded_recently", "available_in_casablanca"],
        "answers": {
            "traction": "Démo : 1 200 applicateurs formés, trois industriels du bâtiment clients.",
            "success": "Démo : moins de réclamations pour surconsommation dans le quartier pilote, des fuites réparées "
            "plus vite, et le nombre d'artisans formés qui réussissent le quiz de fin de module.",
            "team_size": "6",
            "website": "https://www.example.org/kezakoo-demo",
            "heard": 3,
            "data": [0, 4],
            "pilot": False,
            "first_neighbourhoods": "Démo : l'habitat ancien de Derb Sultan et de Mers Sultan, où les installations "
            "sont les plus vieilles.",
        },
    },
    {
        "challenge": "ilots-de-chaleur",
        "submit": False,
        "solution": "Démo : former les applicateurs à la pose de revêtements clairs sur les toits-terrasses (à "
        "compléter).",
        "data_use": "",
        "team": "",
        "stage": "prototype",
        "eligibility": ["registered_in_morocco"],
        "answers": {"traction": "Démo : 1 200 applicateurs formés.", "heard": 3},
    },
]

# The public pages of the demo editions, in French, Arabic and English: what `make bench` times and the tests open.
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
    "/programs/datacity-casablanca-demo/",
    "/programs/datacity-casablanca-demo-pilotes/",
    "/ar/programs/datacity-casablanca-demo-pilotes/",
    "/challenges/branchements-bien-poses/",
    "/challenges/fuites-eau-logements/",
    "/ar/challenges/ilots-de-chaleur/",
    "/programs/datacity-casablanca-2017/demo-day/",
    "/programs/datacity-casablanca-2017/results/",
    "/ar/programs/datacity-casablanca-2017/results/",
    "/partnerships/",
    "/open-data/",
    "/ar/open-data/",
]
