"""certifications.models is a package: every model of the app is importable from it (where Django and the
other apps look for them), whichever module of the package declares it."""

from django.apps import apps

import certifications.models


def test_every_model_of_the_app_is_exported_by_the_models_package():
    declared = {
        model.__name__
        for model in apps.get_app_config("certifications").get_models()
        if not model.__name__.startswith("Historical")
    }

    exported = {
        name for name in certifications.models.__all__ if isinstance(getattr(certifications.models, name), type)
    }

    assert declared <= exported
    for name in declared:
        assert apps.get_model("certifications", name) is getattr(certifications.models, name)
