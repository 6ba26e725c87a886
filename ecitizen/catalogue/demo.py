# ruff: noqa: E501  (demo content: long sentences in three languages read better unbroken)
"""Demo catalogue: topics, life events and eight published services from the three demo
agencies, in English, French and Spanish. Idempotent: what already exists is left alone."""

from typing import Any

from django.db import transaction

from ecitizen.catalogue.models import Service, Topic
from ecitizen.catalogue.services import (
    service_create,
    service_version_publish,
    service_version_update,
    topic_save,
)
from ecitizen.core.models import Agency

PDF = "application/pdf"
IMAGES = ["image/jpeg", "image/png"]
MB = 1024 * 1024


def t(en: str, fr: str, es: str) -> dict[str, str]:
    return {"en": en, "fr": fr, "es": es}


def q(qid: str, qtype: str, label: dict[str, str], **extra: Any) -> dict[str, Any]:
    question: dict[str, Any] = {"id": qid, "type": qtype, "label": label, "required": True}
    question.update(extra)
    return question


def options(*rows: tuple[str, str, str, str]) -> list[dict[str, Any]]:
    return [{"value": value, "label": t(en, fr, es)} for value, en, fr, es in rows]


def upload(types: list[str], max_mb: int, max_files: int) -> dict[str, Any]:
    return {"types": types, "max_size": max_mb * MB, "max_files": max_files}


def page(pid: str, title: dict[str, str], *questions: dict[str, Any]) -> dict[str, Any]:
    return {"id": pid, "title": title, "questions": list(questions)}


TOPICS = [
    # slug, en, fr, es, life event
    (
        "building",
        "Building and renovating",
        "Construire et rénover",
        "Construcción y reformas",
        False,
    ),
    ("business", "Running a business", "Gérer une entreprise", "Gestionar un negocio", False),
    (
        "events-public-space",
        "Events and public space",
        "Événements et espace public",
        "Eventos y espacio público",
        False,
    ),
    ("pets", "Pets", "Animaux de compagnie", "Mascotas", False),
    (
        "parking-transport",
        "Parking and transport",
        "Stationnement et transports",
        "Aparcamiento y transporte",
        False,
    ),
    (
        "certificates-records",
        "Certificates and records",
        "Actes et registres",
        "Certificados y registros",
        False,
    ),
    ("moving-home", "Moving home", "Déménager", "Mudarse de casa", True),
    (
        "starting-a-business",
        "Starting a business",
        "Créer une entreprise",
        "Crear una empresa",
        True,
    ),
    ("having-a-baby", "Having a baby", "Avoir un bébé", "Tener un bebé", True),
]

EMAIL_LABEL = t("Email address", "Adresse e-mail", "Correo electrónico")
PHONE_LABEL = t("Phone number", "Numéro de téléphone", "Número de teléfono")

BUILDING_PERMIT: dict[str, Any] = {
    "slug": "building-permit",
    "code": "BP",
    "agency": "planning",
    "topics": ["building"],
    "title": t(
        "Apply for a building permit",
        "Demander un permis de construire",
        "Solicitar una licencia de obras",
    ),
    "summary": t(
        "Get permission to build, extend, convert or demolish a building.",
        "Obtenez l'autorisation de construire, d'agrandir, de transformer ou de démolir un bâtiment.",
        "Obtenga permiso para construir, ampliar, transformar o derribar un edificio.",
    ),
    "eligibility": t(
        "The owner of the land or building, a tenant with the owner's written agreement, or an architect acting for them.",
        "Le propriétaire du terrain ou du bâtiment, un locataire avec l'accord écrit du propriétaire, ou un architecte agissant pour eux.",
        "El propietario del terreno o del edificio, un inquilino con el acuerdo escrito del propietario, o un arquitecto que actúe en su nombre.",
    ),
    "what_you_need": t(
        "The address of the site\nThe floor area of the works in square metres\nPlans of the works as PDF files\nPhotos of the site as it is today",
        "L'adresse du terrain\nLa surface de plancher des travaux en mètres carrés\nLes plans des travaux en PDF\nDes photos du terrain dans son état actuel",
        "La dirección del solar\nLa superficie construida de las obras en metros cuadrados\nLos planos de las obras en PDF\nFotos del solar en su estado actual",
    ),
    "definition": {
        "fee": {
            "kind": "formula",
            "formula": "floor_area * 250 + 10000",
            "currency": "EUR",
            "minimum": 10000,
            "maximum": 5000000,
            "description": t(
                "€100 plus €2.50 per square metre of floor area",
                "100 € plus 2,50 € par mètre carré de surface de plancher",
                "100 € más 2,50 € por metro cuadrado de superficie construida",
            ),
        },
        "fee_timing": "on_submit",
        "sla_working_days": 40,
        "workflow": {"second_approval": True, "refund_on_rejection": False},
        "issues": {
            "document_type": t("Building permit", "Permis de construire", "Licencia de obras"),
            "permitted": t(
                "Carry out the works shown in the approved plans",
                "Réaliser les travaux figurant sur les plans approuvés",
                "Realizar las obras que figuran en los planos aprobados",
            ),
            "validity_days": 730,
        },
        "form": {
            "pages": [
                page(
                    "site",
                    t("About the site", "Le terrain", "El solar"),
                    q(
                        "site_address",
                        "address",
                        t("Address of the site", "Adresse du terrain", "Dirección del solar"),
                        prefill="address",
                    ),
                    q(
                        "works_type",
                        "single_choice",
                        t(
                            "What are you planning?",
                            "Quels travaux prévoyez-vous ?",
                            "¿Qué obras tiene previstas?",
                        ),
                        options=options(
                            (
                                "new_building",
                                "A new building",
                                "Une construction neuve",
                                "Un edificio nuevo",
                            ),
                            ("extension", "An extension", "Un agrandissement", "Una ampliación"),
                            (
                                "conversion",
                                "A conversion or renovation",
                                "Une transformation ou rénovation",
                                "Una transformación o reforma",
                            ),
                            ("demolition", "A demolition", "Une démolition", "Un derribo"),
                        ),
                    ),
                    q(
                        "description",
                        "long_text",
                        t("Describe the works", "Décrivez les travaux", "Describa las obras"),
                        help=t(
                            "What you will build, the materials and how the building will be used.",
                            "Ce que vous allez construire, les matériaux et l'usage du bâtiment.",
                            "Qué va a construir, los materiales y el uso del edificio.",
                        ),
                        validation={"min_length": 20, "max_length": 2000},
                    ),
                ),
                page(
                    "building",
                    t("Size of the works", "Dimensions des travaux", "Dimensiones de las obras"),
                    q(
                        "floor_area",
                        "number",
                        t(
                            "Floor area of the works, in square metres",
                            "Surface de plancher des travaux, en mètres carrés",
                            "Superficie construida de las obras, en metros cuadrados",
                        ),
                        validation={"min": 1, "max": 20000, "integer": True},
                    ),
                    q(
                        "storeys",
                        "number",
                        t("Number of storeys", "Nombre de niveaux", "Número de plantas"),
                        validation={"min": 1, "max": 30, "integer": True},
                    ),
                    q(
                        "has_basement",
                        "yes_no",
                        t(
                            "Will there be a basement?",
                            "Y aura-t-il un sous-sol ?",
                            "¿Habrá sótano?",
                        ),
                    ),
                    q(
                        "basement_depth",
                        "number",
                        t(
                            "Depth of the basement, in metres",
                            "Profondeur du sous-sol, en mètres",
                            "Profundidad del sótano, en metros",
                        ),
                        validation={"min": 1, "max": 30},
                        condition={"question": "has_basement", "equals": True},
                    ),
                    q(
                        "start_date",
                        "date",
                        t(
                            "When do you plan to start?",
                            "Quand prévoyez-vous de commencer ?",
                            "¿Cuándo prevé empezar?",
                        ),
                        validation={"min_date": "today"},
                    ),
                ),
                page(
                    "documents",
                    t("Plans and photos", "Plans et photos", "Planos y fotos"),
                    q(
                        "plans",
                        "file",
                        t("Plans of the works", "Plans des travaux", "Planos de las obras"),
                        help=t(
                            "Site plan, floor plans and elevations, as PDF files.",
                            "Plan de situation, plans des niveaux et façades, en PDF.",
                            "Plano de situación, plantas y alzados, en PDF.",
                        ),
                        upload=upload([PDF], 20, 5),
                    ),
                    q(
                        "photos",
                        "file",
                        t("Photos of the site", "Photos du terrain", "Fotos del solar"),
                        required=False,
                        upload=upload(IMAGES, 10, 6),
                    ),
                ),
                page(
                    "applicant",
                    t("About you", "Vous concernant", "Sobre usted"),
                    q(
                        "applicant_role",
                        "single_choice",
                        t(
                            "You are applying as",
                            "Vous faites la demande en tant que",
                            "Presenta la solicitud como",
                        ),
                        options=options(
                            ("owner", "The owner", "Propriétaire", "Propietario"),
                            ("tenant", "A tenant", "Locataire", "Inquilino"),
                            (
                                "agent",
                                "An architect or agent",
                                "Architecte ou mandataire",
                                "Arquitecto o representante",
                            ),
                        ),
                    ),
                    q("contact_phone", "phone", PHONE_LABEL, prefill="phone"),
                ),
            ]
        },
    },
}

BUSINESS_LICENCE: dict[str, Any] = {
    "slug": "business-licence",
    "code": "BL",
    "agency": "licensing",
    "topics": ["business", "starting-a-business"],
    "title": t(
        "Apply for a business licence",
        "Demander une licence commerciale",
        "Solicitar una licencia de actividad",
    ),
    "summary": t(
        "You need a licence before you open a shop, office or workshop in the city.",
        "Une licence est nécessaire avant d'ouvrir un commerce, un bureau ou un atelier dans la ville.",
        "Necesita una licencia antes de abrir una tienda, oficina o taller en la ciudad.",
    ),
    "eligibility": t(
        "Anyone who runs a business from premises in the city, or who is about to.",
        "Toute personne qui exploite ou va exploiter une entreprise dans des locaux de la ville.",
        "Cualquier persona que gestione o vaya a gestionar un negocio en un local de la ciudad.",
    ),
    "what_you_need": t(
        "Your company registration certificate as a PDF file\nThe address of the premises\nThe date you plan to open",
        "Votre extrait d'immatriculation en PDF\nL'adresse des locaux\nLa date d'ouverture prévue",
        "Su certificado de inscripción de la empresa en PDF\nLa dirección del local\nLa fecha de apertura prevista",
    ),
    "definition": {
        "fee": {"kind": "fixed", "amount": 15000, "currency": "EUR"},
        "fee_timing": "on_submit",
        "sla_working_days": 15,
        "workflow": {"second_approval": False, "refund_on_rejection": True},
        "issues": {
            "document_type": t("Business licence", "Licence commerciale", "Licencia de actividad"),
            "permitted": t(
                "Trade from the premises named on the licence",
                "Exercer l'activité dans les locaux indiqués sur la licence",
                "Ejercer la actividad en el local indicado en la licencia",
            ),
            "validity_days": 365,
        },
        "form": {
            "pages": [
                page(
                    "business",
                    t("Your business", "Votre entreprise", "Su empresa"),
                    q(
                        "business_name",
                        "text",
                        t("Name of the business", "Nom de l'entreprise", "Nombre de la empresa"),
                        validation={"min_length": 2, "max_length": 120},
                    ),
                    q(
                        "legal_form",
                        "single_choice",
                        t("Legal form", "Forme juridique", "Forma jurídica"),
                        options=options(
                            ("sole_trader", "Sole trader", "Entrepreneur individuel", "Autónomo"),
                            ("company", "Limited company", "Société", "Sociedad limitada"),
                            (
                                "partnership",
                                "Partnership",
                                "Société de personnes",
                                "Sociedad colectiva",
                            ),
                            ("cooperative", "Cooperative", "Coopérative", "Cooperativa"),
                        ),
                    ),
                    q(
                        "activities",
                        "multiple_choice",
                        t(
                            "What will the business do?",
                            "Quelles seront les activités ?",
                            "¿A qué se dedicará la empresa?",
                        ),
                        help=t(
                            "Choose up to three.",
                            "Choisissez-en trois au plus.",
                            "Elija tres como máximo.",
                        ),
                        options=options(
                            ("retail", "Retail", "Commerce de détail", "Comercio minorista"),
                            ("food", "Food and drink", "Restauration", "Hostelería"),
                            ("services", "Services", "Services", "Servicios"),
                            ("manufacturing", "Making goods", "Fabrication", "Fabricación"),
                        ),
                        validation={"min_choices": 1, "max_choices": 3},
                    ),
                    q(
                        "turnover",
                        "money",
                        t(
                            "Expected turnover in the first year",
                            "Chiffre d'affaires prévu la première année",
                            "Facturación prevista el primer año",
                        ),
                        required=False,
                        validation={"min": 0},
                    ),
                    q(
                        "employees",
                        "number",
                        t("Number of employees", "Nombre de salariés", "Número de empleados"),
                        validation={"min": 0, "max": 10000, "integer": True},
                    ),
                ),
                page(
                    "premises",
                    t("Premises", "Locaux", "Local"),
                    q(
                        "premises_address",
                        "address",
                        t("Address of the premises", "Adresse des locaux", "Dirección del local"),
                    ),
                    q(
                        "opening_date",
                        "date",
                        t("Opening date", "Date d'ouverture", "Fecha de apertura"),
                        validation={"min_date": "today"},
                    ),
                    q(
                        "registration_certificate",
                        "file",
                        t(
                            "Company registration certificate",
                            "Extrait d'immatriculation",
                            "Certificado de inscripción de la empresa",
                        ),
                        upload=upload([PDF], 5, 1),
                    ),
                ),
                page(
                    "contact",
                    t("Contact details", "Coordonnées", "Datos de contacto"),
                    q("contact_email", "email", EMAIL_LABEL, prefill="email"),
                    q("contact_phone", "phone", PHONE_LABEL, prefill="phone", required=False),
                ),
            ]
        },
    },
}

STREET_TRADING: dict[str, Any] = {
    "slug": "street-trading-permit",
    "code": "ST",
    "agency": "licensing",
    "topics": ["business", "events-public-space"],
    "title": t(
        "Apply for a street trading permit",
        "Demander une autorisation de vente sur la voie publique",
        "Solicitar un permiso de venta ambulante",
    ),
    "summary": t(
        "Sell food, flowers or other goods from a stall or van on the street.",
        "Vendez des aliments, des fleurs ou d'autres produits sur un stand ou depuis un camion sur la voie publique.",
        "Venda comida, flores u otros productos en un puesto o furgoneta en la vía pública.",
    ),
    "eligibility": t(
        "Anyone aged 18 or over. Food sellers need a food hygiene certificate.",
        "Toute personne de 18 ans ou plus. La vente d'aliments exige un certificat d'hygiène alimentaire.",
        "Cualquier persona mayor de 18 años. Para vender comida se necesita un certificado de higiene alimentaria.",
    ),
    "what_you_need": t(
        "Where you want to trade\nWhat you will sell\nA food hygiene certificate if you sell food",
        "L'emplacement souhaité\nCe que vous allez vendre\nUn certificat d'hygiène alimentaire si vous vendez des aliments",
        "Dónde quiere vender\nQué va a vender\nUn certificado de higiene alimentaria si vende comida",
    ),
    "definition": {
        "fee": {
            "kind": "formula",
            "formula": "months * 4000",
            "currency": "EUR",
            "minimum": 4000,
            "maximum": None,
            "description": t("€40 per month", "40 € par mois", "40 € al mes"),
        },
        "fee_timing": "on_submit",
        "sla_working_days": 10,
        "workflow": {"second_approval": False, "refund_on_rejection": True},
        "issues": {
            "document_type": t(
                "Street trading permit",
                "Autorisation de vente sur la voie publique",
                "Permiso de venta ambulante",
            ),
            "permitted": t(
                "Sell the goods listed from the approved pitch",
                "Vendre les produits indiqués à l'emplacement autorisé",
                "Vender los productos indicados en el puesto autorizado",
            ),
            "validity_days": 365,
        },
        "form": {
            "pages": [
                page(
                    "pitch",
                    t("Where and when", "Où et quand", "Dónde y cuándo"),
                    q(
                        "pitch_address",
                        "address",
                        t(
                            "Where do you want to trade?",
                            "Où souhaitez-vous vendre ?",
                            "¿Dónde quiere vender?",
                        ),
                    ),
                    q(
                        "stall_width",
                        "number",
                        t(
                            "Width of the stall, in metres",
                            "Largeur du stand, en mètres",
                            "Anchura del puesto, en metros",
                        ),
                        validation={"min": 1, "max": 6},
                    ),
                    q(
                        "months",
                        "number",
                        t(
                            "For how many months?",
                            "Pour combien de mois ?",
                            "¿Durante cuántos meses?",
                        ),
                        validation={"min": 1, "max": 12, "integer": True},
                    ),
                ),
                page(
                    "goods",
                    t("What you will sell", "Ce que vous vendrez", "Qué va a vender"),
                    q(
                        "goods",
                        "multiple_choice",
                        t("What will you sell?", "Que vendrez-vous ?", "¿Qué venderá?"),
                        options=options(
                            ("food", "Food or drink", "Aliments ou boissons", "Comida o bebida"),
                            (
                                "flowers",
                                "Flowers and plants",
                                "Fleurs et plantes",
                                "Flores y plantas",
                            ),
                            ("crafts", "Crafts", "Artisanat", "Artesanía"),
                            ("clothing", "Clothing", "Vêtements", "Ropa"),
                        ),
                        validation={"min_choices": 1},
                    ),
                    q(
                        "hygiene_certificate",
                        "file",
                        t(
                            "Food hygiene certificate",
                            "Certificat d'hygiène alimentaire",
                            "Certificado de higiene alimentaria",
                        ),
                        upload=upload([PDF, *IMAGES], 5, 1),
                        condition={"question": "goods", "in": ["food"]},
                    ),
                    q(
                        "stall_photo",
                        "file",
                        t("Photo of your stall", "Photo de votre stand", "Foto de su puesto"),
                        required=False,
                        upload=upload(IMAGES, 10, 2),
                    ),
                ),
            ]
        },
    },
}

EVENT_PERMIT: dict[str, Any] = {
    "slug": "event-permit",
    "code": "EV",
    "agency": "planning",
    "topics": ["events-public-space"],
    "title": t(
        "Apply for an event permit",
        "Demander une autorisation d'événement",
        "Solicitar un permiso para un evento",
    ),
    "summary": t(
        "Hold a concert, market, sports event or street party in a public space.",
        "Organisez un concert, un marché, une manifestation sportive ou une fête de quartier dans l'espace public.",
        "Organice un concierto, un mercado, un evento deportivo o una fiesta vecinal en un espacio público.",
    ),
    "eligibility": t(
        "Any person or organisation organising an event in a public space. Apply at least 20 working days before the event.",
        "Toute personne ou organisation qui organise un événement dans l'espace public. Faites la demande au moins 20 jours ouvrés avant.",
        "Cualquier persona u organización que organice un evento en un espacio público. Solicítelo al menos 20 días hábiles antes.",
    ),
    "what_you_need": t(
        "The date and place of the event\nHow many people you expect\nA site plan if you will put up stages, tents or barriers",
        "La date et le lieu de l'événement\nLe nombre de personnes attendues\nUn plan du site si vous installez des scènes, tentes ou barrières",
        "La fecha y el lugar del evento\nCuántas personas espera\nUn plano del lugar si instalará escenarios, carpas o vallas",
    ),
    "definition": {
        "fee": {"kind": "fixed", "amount": 7500, "currency": "EUR"},
        "fee_timing": "on_submit",
        "sla_working_days": 20,
        "workflow": {"second_approval": False, "refund_on_rejection": True},
        "issues": {
            "document_type": t("Event permit", "Autorisation d'événement", "Permiso de evento"),
            "permitted": t(
                "Hold the event described at the approved place and date",
                "Organiser l'événement décrit au lieu et à la date autorisés",
                "Celebrar el evento descrito en el lugar y la fecha autorizados",
            ),
            "validity_days": 60,
        },
        "form": {
            "pages": [
                page(
                    "event",
                    t("Your event", "Votre événement", "Su evento"),
                    q(
                        "event_name",
                        "text",
                        t("Name of the event", "Nom de l'événement", "Nombre del evento"),
                        validation={"max_length": 150},
                    ),
                    q(
                        "event_type",
                        "single_choice",
                        t("Type of event", "Type d'événement", "Tipo de evento"),
                        options=options(
                            ("concert", "Concert", "Concert", "Concierto"),
                            ("market", "Market", "Marché", "Mercado"),
                            ("sport", "Sports event", "Manifestation sportive", "Evento deportivo"),
                            ("street_party", "Street party", "Fête de quartier", "Fiesta vecinal"),
                        ),
                    ),
                    q(
                        "event_date",
                        "date",
                        t("Date of the event", "Date de l'événement", "Fecha del evento"),
                        validation={"min_date": "today"},
                    ),
                    q(
                        "attendance",
                        "number",
                        t(
                            "How many people do you expect?",
                            "Combien de personnes attendez-vous ?",
                            "¿Cuántas personas espera?",
                        ),
                        validation={"min": 1, "max": 100000, "integer": True},
                    ),
                    q(
                        "location",
                        "address",
                        t(
                            "Where will it take place?",
                            "Où aura-t-il lieu ?",
                            "¿Dónde tendrá lugar?",
                        ),
                    ),
                ),
                page(
                    "impact",
                    t("Roads and noise", "Voirie et bruit", "Calles y ruido"),
                    q(
                        "road_closure",
                        "yes_no",
                        t(
                            "Do you need a road closed?",
                            "Faut-il fermer une rue ?",
                            "¿Necesita cortar una calle?",
                        ),
                    ),
                    q(
                        "closure_details",
                        "long_text",
                        t(
                            "Which roads, and at what times?",
                            "Quelles rues, et à quelles heures ?",
                            "¿Qué calles y a qué horas?",
                        ),
                        condition={"question": "road_closure", "equals": True},
                        validation={"max_length": 1000},
                    ),
                    q(
                        "amplified_sound",
                        "yes_no",
                        t(
                            "Will there be amplified music?",
                            "Y aura-t-il de la musique amplifiée ?",
                            "¿Habrá música amplificada?",
                        ),
                    ),
                    q(
                        "site_plan",
                        "file",
                        t("Site plan", "Plan du site", "Plano del lugar"),
                        required=False,
                        upload=upload([PDF, *IMAGES], 10, 2),
                    ),
                    q("organiser_email", "email", EMAIL_LABEL, prefill="email"),
                ),
            ]
        },
    },
}

PARKING_PERMIT: dict[str, Any] = {
    "slug": "residential-parking-permit",
    "code": "RP",
    "agency": "planning",
    "topics": ["parking-transport", "moving-home"],
    "title": t(
        "Apply for a residential parking permit",
        "Demander une carte de stationnement résidentiel",
        "Solicitar una tarjeta de aparcamiento para residentes",
    ),
    "summary": t(
        "Park near your home in a resident parking zone.",
        "Stationnez près de chez vous dans une zone résidentielle.",
        "Aparque cerca de su casa en una zona de residentes.",
    ),
    "eligibility": t(
        "People who live in a resident parking zone and own or lease the vehicle. One permit per vehicle.",
        "Les personnes qui habitent une zone de stationnement résidentiel et possèdent ou louent le véhicule. Une carte par véhicule.",
        "Las personas que viven en una zona de residentes y son propietarias o arrendatarias del vehículo. Una tarjeta por vehículo.",
    ),
    "what_you_need": t(
        "Proof of address from the last three months, such as a utility bill\nThe vehicle registration document",
        "Un justificatif de domicile de moins de trois mois, comme une facture\nLe certificat d'immatriculation du véhicule",
        "Un justificante de domicilio de los últimos tres meses, como una factura\nEl permiso de circulación del vehículo",
    ),
    "definition": {
        "fee": {"kind": "fixed", "amount": 6000, "currency": "EUR"},
        "fee_timing": "on_approval",
        "sla_working_days": 5,
        "workflow": {"second_approval": False, "refund_on_rejection": False},
        "issues": {
            "document_type": t(
                "Residential parking permit",
                "Carte de stationnement résidentiel",
                "Tarjeta de aparcamiento para residentes",
            ),
            "permitted": t(
                "Park the vehicle named on the permit in its resident zone",
                "Stationner le véhicule indiqué sur la carte dans sa zone résidentielle",
                "Aparcar el vehículo indicado en la tarjeta en su zona de residentes",
            ),
            "validity_days": 365,
        },
        "form": {
            "pages": [
                page(
                    "home",
                    t("Your home", "Votre domicile", "Su domicilio"),
                    q(
                        "home_address",
                        "address",
                        t("Your address", "Votre adresse", "Su dirección"),
                        prefill="address",
                    ),
                    q(
                        "proof_of_address",
                        "file",
                        t(
                            "Proof of address",
                            "Justificatif de domicile",
                            "Justificante de domicilio",
                        ),
                        upload=upload([PDF, *IMAGES], 5, 2),
                    ),
                ),
                page(
                    "vehicle",
                    t("Your vehicle", "Votre véhicule", "Su vehículo"),
                    q(
                        "registration_number",
                        "text",
                        t("Registration number", "Numéro d'immatriculation", "Matrícula"),
                        help=t(
                            "As on the registration document, e.g. AB-123-CD.",
                            "Comme sur le certificat d'immatriculation, par exemple AB-123-CD.",
                            "Como en el permiso de circulación, por ejemplo 1234-ABC.",
                        ),
                        validation={"pattern": "^[A-Z0-9][A-Z0-9 -]{1,11}$", "max_length": 12},
                    ),
                    q(
                        "vehicle_type",
                        "single_choice",
                        t("Type of vehicle", "Type de véhicule", "Tipo de vehículo"),
                        options=options(
                            ("car", "Car", "Voiture", "Coche"),
                            ("van", "Small van", "Petit utilitaire", "Furgoneta pequeña"),
                            ("motorcycle", "Motorcycle", "Moto", "Motocicleta"),
                        ),
                    ),
                    q(
                        "registration_document",
                        "file",
                        t(
                            "Vehicle registration document",
                            "Certificat d'immatriculation",
                            "Permiso de circulación",
                        ),
                        upload=upload([PDF, *IMAGES], 5, 1),
                    ),
                ),
            ]
        },
    },
}

BIRTH_CERTIFICATE: dict[str, Any] = {
    "slug": "birth-certificate-copy",
    "code": "BC",
    "agency": "civil-registry",
    "topics": ["certificates-records", "having-a-baby"],
    "title": t(
        "Order a copy of a birth certificate",
        "Commander une copie d'acte de naissance",
        "Pedir una copia de un acta de nacimiento",
    ),
    "summary": t(
        "Get a certified copy of a birth registered in the city, by post, at a counter or as a digital document.",
        "Obtenez une copie certifiée d'une naissance enregistrée dans la ville, par courrier, au guichet ou en version numérique.",
        "Obtenga una copia certificada de un nacimiento inscrito en la ciudad, por correo, en ventanilla o en formato digital.",
    ),
    "eligibility": t(
        "The person named on the certificate, their parents, children or spouse, or their legal representative.",
        "La personne concernée, ses parents, ses enfants ou son conjoint, ou son représentant légal.",
        "La persona inscrita, sus padres, hijos o cónyuge, o su representante legal.",
    ),
    "what_you_need": t(
        "The full name, date and place of birth of the person",
        "Les nom et prénoms, date et lieu de naissance de la personne",
        "El nombre completo, la fecha y el lugar de nacimiento de la persona",
    ),
    "definition": {
        "fee": {
            "kind": "formula",
            "formula": "copies * 1500",
            "currency": "EUR",
            "minimum": 1500,
            "maximum": None,
            "description": t("€15 per copy", "15 € par copie", "15 € por copia"),
        },
        "fee_timing": "on_submit",
        "sla_working_days": 5,
        "workflow": {"second_approval": False, "refund_on_rejection": True},
        "issues": {
            "document_type": t(
                "Certified copy of a birth certificate",
                "Copie certifiée d'acte de naissance",
                "Copia certificada de acta de nacimiento",
            ),
            "permitted": t(
                "Prove a birth registered in the city",
                "Prouver une naissance enregistrée dans la ville",
                "Acreditar un nacimiento inscrito en la ciudad",
            ),
            "validity_days": None,
        },
        "form": {
            "pages": [
                page(
                    "person",
                    t(
                        "The person on the certificate",
                        "La personne concernée",
                        "La persona inscrita",
                    ),
                    q(
                        "full_name",
                        "text",
                        t(
                            "Full name at birth",
                            "Nom complet à la naissance",
                            "Nombre completo al nacer",
                        ),
                    ),
                    q(
                        "date_of_birth",
                        "date",
                        t("Date of birth", "Date de naissance", "Fecha de nacimiento"),
                        validation={"min_date": "1900-01-01", "max_date": "today"},
                    ),
                    q(
                        "place_of_birth",
                        "text",
                        t("Place of birth", "Lieu de naissance", "Lugar de nacimiento"),
                    ),
                    q(
                        "relationship",
                        "single_choice",
                        t(
                            "Your relationship to the person",
                            "Votre lien avec la personne",
                            "Su relación con la persona",
                        ),
                        options=options(
                            ("self", "It is me", "C'est moi", "Soy yo"),
                            ("parent", "Parent", "Parent", "Padre o madre"),
                            ("child", "Child", "Enfant", "Hijo o hija"),
                            ("spouse", "Spouse or partner", "Conjoint", "Cónyuge o pareja"),
                            (
                                "representative",
                                "Legal representative",
                                "Représentant légal",
                                "Representante legal",
                            ),
                        ),
                    ),
                ),
                page(
                    "delivery",
                    t("Copies and delivery", "Copies et envoi", "Copias y entrega"),
                    q(
                        "copies",
                        "number",
                        t("How many copies?", "Combien de copies ?", "¿Cuántas copias?"),
                        validation={"min": 1, "max": 10, "integer": True},
                    ),
                    q(
                        "delivery",
                        "single_choice",
                        t(
                            "How do you want to receive it?",
                            "Comment souhaitez-vous la recevoir ?",
                            "¿Cómo quiere recibirla?",
                        ),
                        options=options(
                            (
                                "digital",
                                "Digital document",
                                "Document numérique",
                                "Documento digital",
                            ),
                            ("post", "By post", "Par courrier", "Por correo"),
                            (
                                "counter",
                                "Collect at a counter",
                                "Retrait au guichet",
                                "Recogida en ventanilla",
                            ),
                        ),
                    ),
                    q(
                        "delivery_address",
                        "address",
                        t("Postal address", "Adresse postale", "Dirección postal"),
                        prefill="address",
                        condition={"question": "delivery", "equals": "post"},
                    ),
                ),
            ]
        },
    },
}

DOG_LICENCE: dict[str, Any] = {
    "slug": "dog-licence",
    "code": "DL",
    "agency": "licensing",
    "topics": ["pets", "moving-home"],
    "title": t(
        "Get a dog licence", "Obtenir une licence pour chien", "Obtener una licencia para perros"
    ),
    "summary": t(
        "Every dog kept in the city needs a yearly licence.",
        "Tout chien gardé dans la ville doit avoir une licence annuelle.",
        "Todo perro que viva en la ciudad necesita una licencia anual.",
    ),
    "eligibility": t(
        "Dog owners aged 16 or over who live in the city.",
        "Les propriétaires de chiens âgés de 16 ans ou plus qui habitent la ville.",
        "Los dueños de perros mayores de 16 años que viven en la ciudad.",
    ),
    "what_you_need": t(
        "Your dog's 15-digit microchip number\nIts rabies vaccination certificate",
        "Le numéro de puce à 15 chiffres de votre chien\nSon certificat de vaccination antirabique",
        "El número de microchip de 15 cifras de su perro\nSu certificado de vacunación antirrábica",
    ),
    "definition": {
        "fee": {"kind": "fixed", "amount": 2500, "currency": "EUR"},
        "fee_timing": "on_submit",
        "sla_working_days": 10,
        "workflow": {"second_approval": False, "refund_on_rejection": True},
        "issues": {
            "document_type": t("Dog licence", "Licence pour chien", "Licencia para perros"),
            "permitted": t(
                "Keep the dog named on the licence in the city",
                "Garder dans la ville le chien indiqué sur la licence",
                "Tener en la ciudad el perro indicado en la licencia",
            ),
            "validity_days": 365,
        },
        "form": {
            "pages": [
                page(
                    "dog",
                    t("Your dog", "Votre chien", "Su perro"),
                    q(
                        "dog_name",
                        "text",
                        t("Dog's name", "Nom du chien", "Nombre del perro"),
                        validation={"max_length": 60},
                    ),
                    q("breed", "text", t("Breed", "Race", "Raza"), required=False),
                    q(
                        "dog_birth_date",
                        "date",
                        t(
                            "Dog's date of birth",
                            "Date de naissance du chien",
                            "Fecha de nacimiento del perro",
                        ),
                        validation={"max_date": "today"},
                    ),
                    q(
                        "microchip",
                        "text",
                        t("Microchip number", "Numéro de puce électronique", "Número de microchip"),
                        help=t("15 digits.", "15 chiffres.", "15 cifras."),
                        validation={"pattern": "^[0-9]{15}$"},
                    ),
                    q(
                        "neutered",
                        "yes_no",
                        t(
                            "Is the dog neutered?",
                            "Le chien est-il stérilisé ?",
                            "¿Está esterilizado el perro?",
                        ),
                    ),
                ),
                page(
                    "health",
                    t("Vaccination and contact", "Vaccination et contact", "Vacunación y contacto"),
                    q(
                        "vaccination_certificate",
                        "file",
                        t(
                            "Rabies vaccination certificate",
                            "Certificat de vaccination antirabique",
                            "Certificado de vacunación antirrábica",
                        ),
                        upload=upload([PDF, *IMAGES], 5, 1),
                    ),
                    q("owner_phone", "phone", PHONE_LABEL, prefill="phone"),
                ),
            ]
        },
    },
}

CHANGE_OF_ADDRESS: dict[str, Any] = {
    "slug": "change-of-address",
    "code": "CA",
    "agency": "civil-registry",
    "topics": ["certificates-records", "moving-home"],
    "title": t(
        "Report a change of address",
        "Signaler un changement d'adresse",
        "Comunicar un cambio de domicilio",
    ),
    "summary": t(
        "Tell the city once that you have moved: the electoral roll, waste collection and other services are updated for you. It is free.",
        "Signalez une seule fois votre déménagement : la liste électorale, la collecte des déchets et d'autres services sont mis à jour pour vous. C'est gratuit.",
        "Comunique una sola vez que se ha mudado: el censo electoral, la recogida de residuos y otros servicios se actualizan por usted. Es gratuito.",
    ),
    "eligibility": t(
        "Anyone who has moved to, or within, the city.",
        "Toute personne qui s'est installée dans la ville ou y a déménagé.",
        "Cualquier persona que se haya mudado a la ciudad o dentro de ella.",
    ),
    "what_you_need": t(
        "Your new address and the date you moved",
        "Votre nouvelle adresse et la date du déménagement",
        "Su nueva dirección y la fecha de la mudanza",
    ),
    "definition": {
        "fee": {"kind": "none"},
        "fee_timing": "on_submit",
        "sla_working_days": 5,
        "workflow": {"second_approval": False, "refund_on_rejection": False},
        "issues": None,
        "form": {
            "pages": [
                page(
                    "move",
                    t("Your move", "Votre déménagement", "Su mudanza"),
                    q(
                        "new_address",
                        "address",
                        t("Your new address", "Votre nouvelle adresse", "Su nueva dirección"),
                    ),
                    q(
                        "move_date",
                        "date",
                        t("Date you moved", "Date du déménagement", "Fecha de la mudanza"),
                        validation={"max_date": "today"},
                    ),
                    q(
                        "previous_address",
                        "address",
                        t(
                            "Your previous address",
                            "Votre ancienne adresse",
                            "Su dirección anterior",
                        ),
                        prefill="address",
                        required=False,
                    ),
                    q(
                        "household",
                        "number",
                        t(
                            "How many other people moved with you?",
                            "Combien d'autres personnes ont déménagé avec vous ?",
                            "¿Cuántas personas más se mudaron con usted?",
                        ),
                        required=False,
                        validation={"min": 0, "max": 20, "integer": True},
                    ),
                ),
                page(
                    "notify",
                    t("Who to tell", "Qui prévenir", "A quién avisar"),
                    q(
                        "notify_services",
                        "multiple_choice",
                        t(
                            "Which services should we update?",
                            "Quels services devons-nous prévenir ?",
                            "¿Qué servicios debemos actualizar?",
                        ),
                        required=False,
                        options=options(
                            (
                                "electoral_roll",
                                "Electoral roll",
                                "Liste électorale",
                                "Censo electoral",
                            ),
                            (
                                "waste",
                                "Waste collection",
                                "Collecte des déchets",
                                "Recogida de residuos",
                            ),
                            (
                                "schools",
                                "School admissions",
                                "Inscriptions scolaires",
                                "Admisiones escolares",
                            ),
                            (
                                "parking",
                                "Parking permits",
                                "Stationnement résidentiel",
                                "Aparcamiento para residentes",
                            ),
                        ),
                    ),
                    q("contact_email", "email", EMAIL_LABEL, prefill="email"),
                ),
            ]
        },
    },
}

SERVICES = [
    BUILDING_PERMIT,
    BUSINESS_LICENCE,
    STREET_TRADING,
    EVENT_PERMIT,
    PARKING_PERMIT,
    BIRTH_CERTIFICATE,
    DOG_LICENCE,
    CHANGE_OF_ADDRESS,
]


@transaction.atomic
def seed() -> None:
    """Create the demo topics and services that do not exist yet; publish each as version 1."""
    for position, (slug, en, fr, es, life_event) in enumerate(TOPICS):
        if not Topic.objects.filter(slug=slug).exists():
            topic_save(
                actor=None,
                slug=slug,
                name=t(en, fr, es),
                is_life_event=life_event,
                position=position,
            )
    for spec in SERVICES:
        agency = Agency.objects.filter(code=spec["agency"]).first()
        if agency is None or Service.objects.filter(slug=spec["slug"]).exists():
            continue
        service = service_create(
            actor=None,
            agency=agency,
            slug=spec["slug"],
            code=spec["code"],
            topics=Topic.objects.filter(slug__in=spec["topics"]),
        )
        draft = service_version_update(
            actor=None,
            version=service.versions.get(),
            title=spec["title"],
            summary=spec["summary"],
            eligibility=spec["eligibility"],
            what_you_need=spec["what_you_need"],
            definition=spec["definition"],
        )
        service_version_publish(actor=None, version=draft)
