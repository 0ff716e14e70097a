from django.shortcuts import render

from cooperative.access import ALL_ROLES, role_required


@role_required(ALL_ROLES)
def dashboard(request):
    return render(request, "cooperative/dashboard.html", {})
