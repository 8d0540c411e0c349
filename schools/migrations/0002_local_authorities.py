"""Loads the 22 Welsh local authorities (LA number, English and Welsh names)."""

from django.db import migrations

AUTHORITIES = {
    660: ("Isle of Anglesey", "Ynys Môn"),
    661: ("Gwynedd", "Gwynedd"),
    662: ("Conwy", "Conwy"),
    663: ("Denbighshire", "Sir Ddinbych"),
    664: ("Flintshire", "Sir y Fflint"),
    665: ("Wrexham", "Wrecsam"),
    666: ("Powys", "Powys"),
    667: ("Ceredigion", "Ceredigion"),
    668: ("Pembrokeshire", "Sir Benfro"),
    669: ("Carmarthenshire", "Sir Gaerfyrddin"),
    670: ("Swansea", "Abertawe"),
    671: ("Neath Port Talbot", "Castell-nedd Port Talbot"),
    672: ("Bridgend", "Pen-y-bont ar Ogwr"),
    673: ("Vale of Glamorgan", "Bro Morgannwg"),
    674: ("Rhondda Cynon Taf", "Rhondda Cynon Taf"),
    675: ("Merthyr Tydfil", "Merthyr Tudful"),
    676: ("Caerphilly", "Caerffili"),
    677: ("Blaenau Gwent", "Blaenau Gwent"),
    678: ("Torfaen", "Tor-faen"),
    679: ("Monmouthshire", "Sir Fynwy"),
    680: ("Newport", "Casnewydd"),
    681: ("Cardiff", "Caerdydd"),
}


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
