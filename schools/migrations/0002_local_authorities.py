"""Loads the 22 Welsh local authorities (LA number, English and Welsh names)."""

from django.db import migrations

from schools.identifiers import WELSH_LOCAL_AUTHORITIES

# The 22 authorities are fixed by law; schools.identifiers holds their one list.
AUTHORITIES = WELSH_LOCAL_AUTHORITIES


def load(apps, schema_editor):
    LocalAuthority = apps.get_model("schools", "LocalAuthority")
    for code, (name_en, name_cy) in AUTHORITIES.items():
        LocalAuthority.objects.update_or_create(
            code=code, defaults={"name_en": name_en, "name_cy": name_cy}
        )


def unload(apps, schema_editor):
    apps.get_model("schools", "LocalAuthority").objects.filter(code__in=AUTHORITIES).delete()


class Migration(migrations.Migration):
    dependencies = [("schools", "0001_initial")]
    operations = [migrations.RunPython(load, unload)]
