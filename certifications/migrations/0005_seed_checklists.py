"""Seed one internal inspection checklist in use for Organic, Rainforest Alliance and C.A.F.E. Practices.

The requirements are what an internal inspector checks on a smallholder coffee or cocoa farm once a year.
UTZ gets none: it merged into Rainforest Alliance and accepts nothing new. Critical requirements are the
few whose breach blocks certification until the non-conformity is closed (synthetic inputs and GMOs for
organic; child and forced labour, deforestation after the cut-off and prohibited pesticides; C.A.F.E.
Practices' zero-tolerance indicators). The ICS coordinator reviews and edits them through a new version.

Reversing the migration deletes these checklists (and their requirements) only while no inspection has
answered them.
"""

from django.db import migrations

VERSION = "2026.1"

# code -> (title, [(requirement code, section, critical, text_es, text_en), ...])
CHECKLISTS = {
    "organic": (
        "Inspección interna – Orgánico (Reglamento UE 2018/848 y USDA NOP)",
        [
            (
                "ORG-01",
                "Registro y gestión del grupo",
                False,
                "El productor figura en el padrón interno del grupo y firmó el compromiso con el Sistema Interno "
                "de Control (SIC) y su reglamento interno.",
                "The producer is listed in the group's internal register and has signed the commitment to the "
                "Internal Control System (ICS) and its internal rules.",
            ),
            (
                "ORG-02",
                "Registro y gestión del grupo",
                False,
                "El área, el cultivo y la ubicación de la parcela coinciden con el padrón y el croquis (diferencia "
                "menor al 10 %).",
                "The plot's area, crop and location match the register and the sketch map (within 10%).",
            ),
            (
                "ORG-03",
                "Registro y gestión del grupo",
                False,
                "El croquis de la parcela está actualizado y muestra linderos, vecinos, fuentes de agua, vivienda y "
                "zonas de riesgo de contaminación.",
                "The plot's sketch map is up to date and shows boundaries, neighbours, water sources, the house and "
                "areas at risk of contamination.",
            ),
            (
                "ORG-04",
                "Registro y gestión del grupo",
                False,
                "El productor conoce las normas de producción orgánica y el reglamento interno, y asistió a la "
                "capacitación anual del grupo.",
                "The producer knows the organic production rules and the internal rules, and attended the group's "
                "yearly training.",
            ),
            (
                "ORG-05",
                "Conversión e historial de la parcela",
                False,
                "Se conoce la fecha de la última aplicación de insumos no permitidos y el período de conversión "
                "(36 meses para cultivos perennes) está documentado.",
                "The date of the last application of non-permitted inputs is known and the conversion period "
                "(36 months for perennial crops) is documented.",
            ),
            (
                "ORG-06",
                "Conversión e historial de la parcela",
                False,
                "No hay producción paralela: el productor no cultiva el mismo cultivo de forma convencional en otra "
                "parcela.",
                "There is no parallel production: the producer does not grow the same crop conventionally on another "
                "plot.",
            ),
            (
                "ORG-07",
                "Fertilización y suelo",
                True,
                "No se han aplicado fertilizantes sintéticos (urea, fosfato diamónico, cloruro de potasio, "
                "fórmulas NPK u otros) en los últimos 36 meses.",
                "No synthetic fertilizers (urea, diammonium phosphate, muriate of potash, NPK blends or others) have "
                "been applied in the last 36 months.",
            ),
            (
                "ORG-08",
                "Fertilización y suelo",
                False,
                "Los abonos usados (compost, bocashi, guano de isla, biol, roca fosfórica) son de origen permitido y "
                "se registran con fecha y cantidad.",
                "The fertilizers used (compost, bokashi, guano, liquid biofertilizer, rock phosphate) are permitted "
                "and recorded with date and quantity.",
            ),
            (
                "ORG-09",
                "Fertilización y suelo",
                False,
                "El estiércol y la gallinaza provienen de fuentes permitidas (no de crianzas industriales) y se "
                "compostan antes de aplicarse.",
                "Manure and poultry litter come from permitted sources (not from factory farming) and are composted "
                "before use.",
            ),
            (
                "ORG-10",
                "Fertilización y suelo",
                False,
                "Se aplican prácticas de conservación de suelos en pendientes: coberturas, curvas a nivel, barreras "
                "vivas o terrazas.",
                "Soil conservation practices are applied on slopes: cover crops, contour planting, live barriers or "
                "terraces.",
            ),
            (
                "ORG-11",
                "Manejo de plagas y enfermedades",
                True,
                "No se han aplicado plaguicidas, herbicidas ni fungicidas de síntesis química (por ejemplo "
                "glifosato, paraquat o cipermetrina) en los últimos 36 meses.",
                "No synthetic pesticides, herbicides or fungicides (for example glyphosate, paraquat or "
                "cypermethrin) have been applied in the last 36 months.",
            ),
            (
                "ORG-12",
                "Manejo de plagas y enfermedades",
                False,
                "Las plagas y enfermedades (roya, broca, moniliasis, mazorquero) se manejan con prácticas culturales, "
                "control biológico o productos de la lista aprobada por el SIC.",
                "Pests and diseases (leaf rust, berry borer, frosty pod rot, pod borer) are managed with cultural "
                "practices, biological control or products on the ICS approved list.",
            ),
            (
                "ORG-13",
                "Manejo de plagas y enfermedades",
                False,
                "Los productos permitidos se guardan etiquetados, separados de alimentos y fuera del alcance de los "
                "niños.",
                "Permitted products are stored labelled, apart from food and out of children's reach.",
            ),
            (
                "ORG-14",
                "Semillas y material de siembra",
                True,
                "No se usan organismos genéticamente modificados ni sus derivados (semillas, plantones o insumos).",
                "No genetically modified organisms or their derivatives are used (seeds, seedlings or inputs).",
            ),
            (
                "ORG-15",
                "Semillas y material de siembra",
                False,
                "Los plantones provienen de viveros propios u orgánicos; el material convencional no tratado solo "
                "se usa cuando no hay orgánico disponible y queda registrado.",
                "Seedlings come from the farm's own or organic nurseries; untreated conventional material is used "
                "only when no organic material is available, and this is recorded.",
            ),
            (
                "ORG-16",
                "Contaminación y zonas de amortiguamiento",
                False,
                "Hay zonas de amortiguamiento o barreras vivas suficientes frente a parcelas convencionales vecinas "
                "y se evaluó el riesgo de deriva.",
                "There are sufficient buffer zones or hedgerows next to conventional neighbouring plots and the "
                "drift risk has been assessed.",
            ),
            (
                "ORG-17",
                "Contaminación y zonas de amortiguamiento",
                False,
                "Las mochilas fumigadoras no se comparten con productores convencionales o se lavan y registran antes "
                "de usarse en la parcela.",
                "Knapsack sprayers are not shared with conventional producers, or are washed and recorded before use "
                "on the plot.",
            ),
            (
                "ORG-18",
                "Contaminación y zonas de amortiguamiento",
                False,
                "Las aguas mieles y la pulpa o cáscara del beneficio se tratan (pozas de infiltración, compostaje) y "
                "no se vierten a quebradas.",
                "Wastewater, coffee pulp and cocoa husks from processing are treated (infiltration pits, composting) "
                "and not dumped into streams.",
            ),
            (
                "ORG-19",
                "Cosecha y poscosecha",
                False,
                "La cosecha es selectiva y los recipientes y sacos están limpios, sin restos de fertilizantes ni "
                "agroquímicos.",
                "Harvesting is selective and containers and sacks are clean, with no residues of fertilizers or "
                "agrochemicals.",
            ),
            (
                "ORG-20",
                "Cosecha y poscosecha",
                False,
                "El fermentado y el secado se hacen en instalaciones limpias (cajón fermentador, tendal, secador "
                "solar), sin contacto con el suelo, animales ni combustibles.",
                "Fermentation and drying take place in clean facilities (fermentation box, drying patio, solar "
                "dryer), without contact with soil, animals or fuel.",
            ),
            (
                "ORG-21",
                "Cosecha y poscosecha",
                False,
                "El producto se almacena en sacos nuevos o de uso exclusivo, sobre parihuelas y separado de insumos "
                "químicos.",
                "The produce is stored in new or dedicated sacks, on pallets and apart from chemical inputs.",
            ),
            (
                "ORG-22",
                "Registros y trazabilidad",
                False,
                "El cuaderno de campo registra labores, insumos, cosecha y ventas; la cosecha estimada es coherente "
                "con el área y el estado de la plantación.",
                "The field notebook records tasks, inputs, harvest and sales; the estimated harvest is consistent "
                "with the area and the state of the plantation.",
            ),
            (
                "ORG-23",
                "Registros y trazabilidad",
                True,
                "No se mezcla ni se entrega como orgánico producto de parcelas no inscritas, convencionales o de "
                "terceros.",
                "No produce from unregistered or conventional plots, or from third parties, is mixed in or delivered "
                "as organic.",
            ),
            (
                "ORG-24",
                "Medio ambiente",
                True,
                "No hubo deforestación en la parcela después del 31 de diciembre de 2020 (fecha de corte del "
                "Reglamento UE 2023/1115 sobre deforestación).",
                "There was no deforestation on the plot after 31 December 2020 (cut-off date of the EU Deforestation "
                "Regulation 2023/1115).",
            ),
            (
                "ORG-25",
                "Medio ambiente",
                False,
                "No se queman rastrojos ni residuos y se conservan árboles de sombra y vegetación a orillas de "
                "quebradas.",
                "Crop residues and waste are not burned, and shade trees and vegetation along streams are kept.",
            ),
            (
                "ORG-26",
                "Seguimiento",
                False,
                "Las no conformidades de la inspección interna anterior se corrigieron dentro del plazo.",
                "The non-conformities of the previous internal inspection were corrected by their deadline.",
            ),
        ],
    ),
    "rainforest_alliance": (
        "Inspección interna – Rainforest Alliance 2020 (pequeños productores)",
        [
            (
                "RA-01",
                "Gestión",
                False,
                "El productor está registrado en el Sistema de Gestión Interno (SGI) con los datos de su parcela "
                "actualizados y firmó el compromiso con la norma.",
                "The producer is registered in the Internal Management System (IMS) with up-to-date plot data and "
                "has signed the commitment to the standard.",
            ),
            (
                "RA-02",
                "Gestión",
                False,
                "La parcela está georreferenciada: un punto GPS, o un polígono si mide más de 4 ha.",
                "The plot is geolocated: a GPS point, or a polygon if it is larger than 4 ha.",
            ),
            (
                "RA-03",
                "Gestión",
                False,
                "El productor participó en las capacitaciones del grupo sobre buenas prácticas agrícolas, derechos "
                "laborales y el sistema de evaluar y abordar.",
                "The producer attended the group's trainings on good agricultural practices, labour rights and the "
                "assess-and-address system.",
            ),
            (
                "RA-04",
                "Gestión",
                False,
                "Se aplicaron las medidas de mitigación de la evaluación de riesgos del grupo y se corrigieron las no "
                "conformidades de la inspección anterior.",
                "The mitigation measures of the group's risk assessment were applied and the non-conformities of "
                "the previous inspection were corrected.",
            ),
            (
                "RA-05",
                "Trazabilidad",
                False,
                "Se registran la cosecha y las ventas; lo vendido a la cooperativa no supera la cosecha estimada de "
                "la parcela.",
                "Harvest and sales are recorded; what is sold to the cooperative does not exceed the plot's "
                "estimated harvest.",
            ),
            (
                "RA-06",
                "Trazabilidad",
                False,
                "El producto certificado se mantiene separado de producto no certificado en la cosecha, el secado y "
                "el almacenamiento.",
                "Certified produce is kept apart from non-certified produce during harvest, drying and storage.",
            ),
            (
                "RA-07",
                "Agricultura",
                False,
                "Se aplican prácticas de poda, renovación y manejo de sombra para mantener la productividad del "
                "cultivo.",
                "Pruning, renovation and shade management practices are applied to keep the crop productive.",
            ),
            (
                "RA-08",
                "Agricultura",
                False,
                "Se manejan la fertilidad y la conservación del suelo: abonos orgánicos, coberturas, barreras vivas "
                "y fertilización según recomendación técnica.",
                "Soil fertility and conservation are managed: organic fertilizers, cover crops, live barriers and "
                "fertilization following technical advice.",
            ),
            (
                "RA-09",
                "Agricultura",
                False,
                "Se practica el manejo integrado de plagas: se monitorean plagas y enfermedades y los plaguicidas se "
                "usan solo cuando el monitoreo lo justifica.",
                "Integrated pest management is practised: pests and diseases are monitored and pesticides are used "
                "only when monitoring justifies it.",
            ),
            (
                "RA-10",
                "Agricultura",
                True,
                "No se usan plaguicidas de la lista de plaguicidas prohibidos de Rainforest Alliance ni productos "
                "prohibidos o sin registro en el Perú (SENASA).",
                "No pesticides on the Rainforest Alliance list of prohibited pesticides, nor products banned or "
                "unregistered in Peru (SENASA), are used.",
            ),
            (
                "RA-11",
                "Agricultura",
                False,
                "Quienes aplican plaguicidas están capacitados, usan equipo de protección personal y respetan los "
                "intervalos de reingreso.",
                "Those who apply pesticides are trained, wear personal protective equipment and respect re-entry "
                "intervals.",
            ),
            (
                "RA-12",
                "Agricultura",
                False,
                "Se mantienen zonas sin aplicación de agroquímicos junto a viviendas, escuelas y fuentes de agua.",
                "Agrochemical-free zones are kept next to houses, schools and water sources.",
            ),
            (
                "RA-13",
                "Agricultura",
                False,
                "Los agroquímicos y el equipo de aplicación se guardan bajo llave, fuera de la vivienda y lejos del "
                "alcance de los niños.",
                "Agrochemicals and application equipment are kept locked, outside the house and out of children's "
                "reach.",
            ),
            (
                "RA-14",
                "Agricultura",
                False,
                "Los envases vacíos de plaguicidas se enjuagan tres veces, se perforan y se devuelven o eliminan de "
                "forma segura; no se reutilizan.",
                "Empty pesticide containers are triple-rinsed, punctured and returned or disposed of safely; they "
                "are not reused.",
            ),
            (
                "RA-15",
                "Social",
                True,
                "No hay trabajo infantil: los menores de 15 años no trabajan en la finca (salvo tareas ligeras en la "
                "finca familiar, fuera del horario escolar) y ningún menor de 18 años realiza trabajos peligrosos.",
                "There is no child labour: children under 15 do not work on the farm (except light tasks on the "
                "family farm outside school hours) and nobody under 18 does hazardous work.",
            ),
            (
                "RA-16",
                "Social",
                True,
                "No hay trabajo forzoso ni servidumbre por deudas: no se retienen documentos de identidad ni "
                "salarios de los trabajadores.",
                "There is no forced or bonded labour: workers' identity documents and wages are not withheld.",
            ),
            (
                "RA-17",
                "Social",
                False,
                "No hay discriminación, acoso ni violencia en el trabajo, incluida la violencia de género.",
                "There is no discrimination, harassment or violence at work, including gender-based violence.",
            ),
            (
                "RA-18",
                "Social",
                False,
                "Los trabajadores contratados reciben al menos la remuneración mínima vital y sus jornadas y pagos se "
                "registran.",
                "Hired workers receive at least the legal minimum wage and their working hours and payments are "
                "recorded.",
            ),
            (
                "RA-19",
                "Social",
                False,
                "Los trabajadores tienen agua potable y servicios higiénicos, y los que aplican agroquímicos pueden "
                "lavarse después de aplicar.",
                "Workers have drinking water and sanitation, and those who apply agrochemicals can wash after "
                "applying.",
            ),
            (
                "RA-20",
                "Medio ambiente",
                True,
                "No se ha convertido bosque natural ni otros ecosistemas naturales en tierra de cultivo después del "
                "1 de enero de 2014.",
                "No natural forest or other natural ecosystem has been converted to farmland after 1 January 2014.",
            ),
            (
                "RA-21",
                "Medio ambiente",
                False,
                "No se produce en áreas protegidas ni en sus zonas de amortiguamiento, salvo que la normativa "
                "peruana lo permita.",
                "There is no production in protected areas or their buffer zones, unless Peruvian law allows it.",
            ),
            (
                "RA-22",
                "Medio ambiente",
                False,
                "Se mantiene vegetación natural a orillas de quebradas y ríos (al menos 5 m a cada lado en cauces de "
                "1 a 5 m de ancho).",
                "Natural vegetation is kept along streams and rivers (at least 5 m on each side of watercourses "
                "1 to 5 m wide).",
            ),
            (
                "RA-23",
                "Medio ambiente",
                False,
                "No se caza, captura ni comercializa fauna silvestre en la finca.",
                "Wild animals are not hunted, captured or traded on the farm.",
            ),
            (
                "RA-24",
                "Medio ambiente",
                False,
                "Las aguas residuales del beneficio no se vierten sin tratar a cuerpos de agua, y los residuos se "
                "separan y no se queman a cielo abierto.",
                "Processing wastewater is not discharged untreated into water bodies, and waste is sorted and not "
                "burned in the open.",
            ),
        ],
    ),
    "cafe_practices": (
        "Inspección interna – C.A.F.E. Practices (pequeños productores de café)",
        [
            (
                "CAFE-01",
                "Responsabilidad económica",
                False,
                "El productor conserva los comprobantes de sus ventas de café, que muestran el precio recibido.",
                "The producer keeps the receipts of their coffee sales, showing the price received.",
            ),
            (
                "CAFE-02",
                "Responsabilidad económica",
                False,
                "Los volúmenes entregados a la cooperativa son coherentes con la producción estimada de la parcela.",
                "The volumes delivered to the cooperative are consistent with the plot's estimated production.",
            ),
            (
                "CAFE-03",
                "Responsabilidad social",
                True,
                "Los trabajadores contratados, permanentes o temporales, reciben al menos el salario mínimo legal.",
                "Hired workers, permanent or seasonal, receive at least the legal minimum wage.",
            ),
            (
                "CAFE-04",
                "Responsabilidad social",
                True,
                "No trabajan menores de la edad mínima legal (15 años para labores agrícolas en el Perú); los hijos "
                "del productor que ayudan lo hacen sin faltar a la escuela.",
                "No one under the legal minimum age works (15 for farm work in Peru); the producer's children who "
                "help do so without missing school.",
            ),
            (
                "CAFE-05",
                "Responsabilidad social",
                True,
                "No hay trabajo forzoso, obligatorio ni servidumbre por deudas.",
                "There is no forced, compulsory or debt-bonded labour.",
            ),
            (
                "CAFE-06",
                "Responsabilidad social",
                False,
                "No hay discriminación por sexo, origen, religión u otra condición en la contratación ni en el pago.",
                "There is no discrimination by sex, origin, religion or any other status in hiring or pay.",
            ),
            (
                "CAFE-07",
                "Responsabilidad social",
                False,
                "Las horas de trabajo y las horas extra son voluntarias y están dentro de los límites legales.",
                "Working hours and overtime are voluntary and within legal limits.",
            ),
            (
                "CAFE-08",
                "Responsabilidad social",
                False,
                "Los trabajadores que viven en la finca durante la cosecha tienen vivienda digna, agua potable y "
                "servicios higiénicos.",
                "Workers living on the farm during the harvest have decent housing, drinking water and sanitation.",
            ),
            (
                "CAFE-09",
                "Responsabilidad social",
                False,
                "Quienes aplican agroquímicos están capacitados y usan equipo de protección personal.",
                "Those who apply agrochemicals are trained and wear personal protective equipment.",
            ),
            (
                "CAFE-10",
                "Responsabilidad social",
                False,
                "Los hijos en edad escolar de los trabajadores que viven en la finca tienen acceso a la escuela.",
                "School-age children of workers living on the farm have access to school.",
            ),
            (
                "CAFE-11",
                "Liderazgo ambiental: cultivo",
                True,
                "No se ha convertido bosque natural en cafetal desde 2004 (fecha de corte de C.A.F.E. Practices).",
                "No natural forest has been converted to coffee since 2004 (C.A.F.E. Practices cut-off date).",
            ),
            (
                "CAFE-12",
                "Liderazgo ambiental: cultivo",
                False,
                "El cafetal tiene sombra diversa, de preferencia con especies nativas, y una cobertura de copa "
                "adecuada.",
                "The coffee plot has diverse shade, preferably native species, with adequate canopy cover.",
            ),
            (
                "CAFE-13",
                "Liderazgo ambiental: cultivo",
                False,
                "Se conservan áreas de bosque o vegetación natural como refugio de biodiversidad y no se caza fauna "
                "silvestre.",
                "Forest or natural vegetation areas are kept as biodiversity refuges and wild animals are not "
                "hunted.",
            ),
            (
                "CAFE-14",
                "Liderazgo ambiental: cultivo",
                False,
                "Se mantienen zonas de vegetación a orillas de quebradas y ríos.",
                "Vegetation buffers are kept along streams and rivers.",
            ),
            (
                "CAFE-15",
                "Liderazgo ambiental: cultivo",
                False,
                "Se controla la erosión en pendientes con curvas a nivel, barreras vivas o coberturas.",
                "Erosion on slopes is controlled with contour planting, live barriers or cover crops.",
            ),
            (
                "CAFE-16",
                "Liderazgo ambiental: cultivo",
                False,
                "La fertilización se basa en análisis de suelo o recomendación técnica y prioriza los abonos "
                "orgánicos.",
                "Fertilization is based on soil analysis or technical advice and favours organic fertilizers.",
            ),
            (
                "CAFE-17",
                "Liderazgo ambiental: cultivo",
                False,
                "Se aplica manejo integrado de plagas (monitoreo de broca y roya, trampas, control biológico) antes "
                "de recurrir a plaguicidas.",
                "Integrated pest management (berry borer and leaf rust monitoring, traps, biological control) is "
                "applied before resorting to pesticides.",
            ),
            (
                "CAFE-18",
                "Liderazgo ambiental: cultivo",
                True,
                "No se usan plaguicidas prohibidos en el Perú ni los de clase Ia o Ib de la OMS.",
                "No pesticides banned in Peru nor WHO class Ia or Ib pesticides are used.",
            ),
            (
                "CAFE-19",
                "Liderazgo ambiental: cultivo",
                False,
                "Los plaguicidas y fertilizantes se almacenan de forma segura, lejos de fuentes de agua y de la "
                "vivienda.",
                "Pesticides and fertilizers are stored safely, away from water sources and the house.",
            ),
            (
                "CAFE-20",
                "Liderazgo ambiental: beneficio",
                False,
                "Se reduce el consumo de agua en el despulpado y el lavado (despulpado sin agua, recirculación).",
                "Water use in pulping and washing is reduced (dry pulping, recirculation).",
            ),
            (
                "CAFE-21",
                "Liderazgo ambiental: beneficio",
                False,
                "Las aguas mieles se tratan en pozas de infiltración o filtros antes de llegar a cuerpos de agua.",
                "Wastewater is treated in infiltration pits or filters before it reaches water bodies.",
            ),
            (
                "CAFE-22",
                "Liderazgo ambiental: beneficio",
                False,
                "La pulpa del café se composta y se devuelve al cafetal como abono.",
                "Coffee pulp is composted and returned to the plot as fertilizer.",
            ),
            (
                "CAFE-23",
                "Liderazgo ambiental: beneficio",
                False,
                "El secado se hace en tendales, secadores solares o camillas limpias, sin contacto directo con el "
                "suelo.",
                "Drying takes place on clean patios, solar dryers or raised beds, without direct contact with the "
                "ground.",
            ),
        ],
    ),
}


def seed(apps, schema_editor):
    Standard = apps.get_model("certifications", "Standard")
    Checklist = apps.get_model("certifications", "Checklist")
    Requirement = apps.get_model("certifications", "Requirement")
    for code, (title, requirements) in CHECKLISTS.items():
        standard = Standard.objects.get(code=code)
        if Checklist.objects.filter(standard=standard, active=True).exists():
            continue  # a checklist is already in use (seeded again after a test flush, or edited by hand)
        checklist = Checklist.objects.create(standard=standard, version=VERSION, title=title, active=True)
        Requirement.objects.bulk_create(
            Requirement(
                checklist=checklist,
                code=requirement_code,
                section=section,
                critical=critical,
                text_es=text_es,
                text_en=text_en,
                position=position * 10,
            )
            for position, (requirement_code, section, critical, text_es, text_en) in enumerate(requirements, 1)
        )


def unseed(apps, schema_editor):
    Checklist = apps.get_model("certifications", "Checklist")
    Requirement = apps.get_model("certifications", "Requirement")
    seeded = Checklist.objects.filter(standard__code__in=list(CHECKLISTS), version=VERSION)
    # Requirements are protected by the answers that refer to them: an answered checklist stays (the
    # reverse then fails loudly instead of deleting inspection records).
    Requirement.objects.filter(checklist__in=seeded).delete()
    seeded.delete()


class Migration(migrations.Migration):
    dependencies = [
        ("certifications", "0003_seed_standards"),
        ("certifications", "0004_internal_control_system"),
    ]
    operations = [migrations.RunPython(seed, unseed)]
