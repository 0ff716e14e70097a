from django.core.management.base import BaseCommand

from demo.builder import build_demo


class Command(BaseCommand):
    help = (
        "Load a demo cooperative shaped like the Bio Azul case study (coffee in Cusco and Junín, cocoa in "
        "San Martín and Huánuco). Deterministic and idempotent: a second run writes nothing."
    )

    def handle(self, *args, **options) -> None:
        report = build_demo(log=lambda message: self.stdout.write(message))
        if report.created:
            created = ", ".join(f"{name}: {count}" for name, count in report.created.items())
            self.stdout.write(self.style.SUCCESS(f"Datos de demostración creados ({created})."))
        else:
            self.stdout.write(self.style.SUCCESS("Los datos de demostración ya estaban cargados; no se cambió nada."))
        self.stdout.write("")
        self.stdout.write("Usuarios de demostración (rol / usuario / contraseña):")
        for role, username, password in report.logins:
            self.stdout.write(f"  {role:<28} {username:<10} {password}")
