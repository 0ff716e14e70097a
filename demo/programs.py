"""The alliance partners and their programs (Lutheran World Relief, ECOM Perú – SMS, the cooperative's coffee
program), ECOM's primary school, and the members' enrolments in the programs."""

import datetime

from cooperative.models import AllianceProgram, CommunityProject, Partner, ProgramEnrollment
from cooperative.services import community_project_create
from demo.context import Demo
from members.models import Member
from members.services import enrollment_create


def build_programs(demo: Demo) -> dict[str, AllianceProgram]:
    """The partners, the programs (by code) with their regions and standards, and the community project."""
    partners = {}
    for name, kind, country in [
        ("Lutheran World Relief", Partner.Kind.NGO, "US"),
        ("ECOM Perú – SMS", Partner.Kind.BUYER, "PE"),
        ("Cafetalera Amazónica", Partner.Kind.BUYER, "PE"),
        ("Control Union Perú", Partner.Kind.CERTIFIER, "PE"),
    ]:
        partner, created = Partner.objects.get_or_create(name=name, defaults={"kind": kind, "country": country})
        demo.report.count("partners", int(created))
        partners[name] = partner
    specs = [
        dict(
            code="LWR-HUA-2012",
            partner=partners["Lutheran World Relief"],
            name="Alianza LWR: certificación de 500 productores de cacao en Huánuco",
            description="Alianza estratégica firmada en febrero de 2012: certificar 500 productores de cacao de "
            "Huánuco en UTZ y Rainforest Alliance.",
            crops=["cocoa"],
            starts_on=datetime.date(2012, 2, 1),
            ends_on=None,
            target_farmers_certified=500,
            target_beneficiaries=1000,
            regions=["Huánuco"],
            standards=["utz", "rainforest_alliance"],
        ),
        dict(
            code="ECOM-SMS",
            partner=partners["ECOM Perú – SMS"],
            name="ECOM Perú – SMS: 400 productores de cacao conectados con la industria",
            description="Buenas prácticas agrícolas, innovación tecnológica y compostaje para 400 pequeños "
            "productores de cacao.",
            crops=["cocoa"],
            starts_on=datetime.date(2013, 1, 1),
            ends_on=None,
            target_farmers_certified=400,
            target_beneficiaries=1000,
            regions=["San Martín", "Huánuco"],
            standards=["rainforest_alliance"],
        ),
        dict(
            code="BIOAZUL-CAFE",
            partner=partners["Cafetalera Amazónica"],
            name="Bio Azul café: asistencia técnica y certificación",
            description="Programa de café iniciado en 2003 con 14 productores de San Juan.",
            crops=["coffee"],
            starts_on=datetime.date(2003, 1, 1),
            ends_on=None,
            target_farmers_certified=700,
            target_beneficiaries=700,
            regions=["Cusco", "Junín"],
            standards=["organic", "rainforest_alliance", "cafe_practices"],
        ),
    ]
    programs = {}
    for spec in specs:
        region_names, standard_codes = spec.pop("regions"), spec.pop("standards")
        program = AllianceProgram.objects.filter(code=spec["code"]).first()
        if program is None:
            program = AllianceProgram(**spec)
            program.full_clean()
            program.save()
            program.regions.set([demo.regions[name] for name in region_names])
            program.standards.set([demo.standards[code] for code in standard_codes])
            demo.report.count("programs")
        programs[program.code] = program
    if not CommunityProject.objects.filter(name="Escuela primaria de Juan Velasco Alvarado").exists():
        community_project_create(
            name="Escuela primaria de Juan Velasco Alvarado",
            program=programs["ECOM-SMS"],
            region=demo.regions["Huánuco"],
            community="Juan Velasco Alvarado",
            description="Escuela primaria construida por ECOM Perú – SMS para 200 niños y niñas.",
            beneficiaries=200,
            completed_on=datetime.date(2015, 3, 2),
        )
        demo.report.count("community projects")
    return programs


def build_enrolments(demo: Demo, programs: dict[str, AllianceProgram]) -> None:
    """The active members' enrolments, each once (by program and member): the last 400 cocoa members (by code)
    in ECOM Perú – SMS, every coffee member in the coffee program, every Huánuco member in the LWR alliance."""
    done = set(ProgramEnrollment.objects.values_list("program_id", "member_id"))
    members = list(Member.objects.filter(status=Member.Status.ACTIVE).select_related("region").order_by("code"))
    cocoa = [m for m in members if m.region.name in ("San Martín", "Huánuco")]
    coffee = [m for m in members if m.region.name in ("Cusco", "Junín")]
    plan = [(programs["ECOM-SMS"], cocoa[-400:]), (programs["BIOAZUL-CAFE"], coffee)]
    plan.append((programs["LWR-HUA-2012"], [m for m in cocoa if m.region.name == "Huánuco"]))
    for program, group in plan:
        for member in group:
            if (program.pk, member.pk) in done:
                continue
            enrollment_create(program=program, member=member, enrolled_on=max(member.joined_on, program.starts_on))
            demo.report.count("enrolments")
