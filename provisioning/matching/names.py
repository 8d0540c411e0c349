"""Names as people write them: Welsh and other diacritics folded, surnames normalised, and
forenames compared through the Welsh and English forms and short forms people use for each
other. Pure functions, used by the staff matching in ``provisioning.matching``."""

import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass
from functools import lru_cache

from rapidfuzz import fuzz

from core.text import ascii_fold

# Scores given to name agreements short of the same spelling.
VARIANT_SCORE = 95
PREFIX_SCORE = 90
SURNAME_PART_SCORE = 95
SURNAME_SWAPPED_SCORE = 97
SURNAME_PARTS_SHARED_SCORE = 80  # Jones-Davies ~ Jones-Evans: one part in common only


# --- Forename variants --------------------------------------------------------------------------

# Each line: forms of one name that people use for each other (Welsh, English, short forms).
# A name may sit on several lines (Beth: Elizabeth and Bethan); lines are folded on load.
_VARIANT_LINES = """
Siân Sian Jane Jean Janey Shan Shân
Siôn Sion John Ioan Ieuan Evan Ifan Iwan Ianto Jon Johnny Jack Sean Shaun Shane
Dafydd David Dai Dave Davy Dewi Deio Davey
Gwilym William Bill Billy Will Willy Wil Liam Wiliam
Huw Hugh Hughie
Rhys Rees Reece Reese Rhydian
Llywelyn Llewellyn Llewelyn Llew Llyw Lyn
Catrin Catherine Katherine Kathryn Catrina Kate Katie Cath Cathy Kath Kathy Cati
Elisabeth Elizabeth Beth Bethan Liz Lizzie Lisa Eliza Betty Betsan Elsa Elsie Libby Lisbeth
Marged Margaret Meg Maggie Mags Megan Peggy Marg Maggi Mared
Robert Rob Bob Bobby Robbie Bert Robat
Richard Rich Rick Ricky Dic Dick Rhisiart Ritchie
Michael Mike Mick Mickey Mihangel Mic
Thomas Tom Tommy Twm Tomos Tomi
Gareth Gaz Gary Garth
Rhodri Roddy Rod Rhod
Jennifer Jen Jenny Jenni Jeni Gwenhwyfar Guinevere
Alexander Alex Alec Sandy Alecs
Alexandra Alex Sandra Sandy
Christopher Chris Kit Christie Cristoffer
Matthew Matt Matty Mathew Mathau
Samuel Sam Sammy
Samantha Sam Sammy
Nicholas Nick Nicky Nico Niclas
Daniel Dan Danny Deiniol
Owain Owen Owi Ywain
Sioned Janet Jannet Sioni
Mair Mary Maria Mari Mare Marie Molly Polly
Gwen Gwenllian Gwendolyn Gwendoline Gwenno Gwenda
Anne Ann Ane Annie Nan Nansi Nancy Annest
Edward Ed Eddie Ted Teddy Iorwerth Ned
Peter Pete Pedr
Stephen Steven Steve Steffan Stephan
Andrew Andy Drew Andreas Aindriu
James Jim Jimmy Jamie Iago Jâms
Joseph Joe Joey Jo Joseff
Jonathan Jon Jonny Johnathan Jonathon
Anthony Tony Antony Anthoni
Gruffudd Gruffydd Griffith Griff Guto Gruff
Ifor Ivor Ifer
Emrys Ambrose
Iolo Iorwerth Iolyn
Geraint Gerent Gerontius
Dylan Dyl
Rhiannon Rhi Rianna
Angharad Hari Ange Anga
Eluned Luned Lynette Eiluned
Myfanwy Myf Fanny
Gwenfair Winifred Gwenffrewi Winnie
Non Nonna Nonita
Tudur Tudor
Cadfael Cadoc
Morgan Morgana Mogi
Heledd Hel
Lowri Laura Lora Lori
Efa Eve Eva
Ellis Elis
Arwel Arwyn
Bryn Brynmor
Sara Sarah Sal Sally
Rebecca Becky Becca Beca
Victoria Vicky Vicki Tori
Susan Sue Susie Suzanne Siwsan
Deborah Debbie Debra Deb
Patricia Pat Patsy Trish Tricia
Helen Helena Elen Elin Nell Nellie
Frances Fran Frankie Francesca
Francis Frank Ffransis
Benjamin Ben Benji Bedwyr
Joshua Josh
Timothy Tim Timmy
Harry Henry Hal Harri
Charles Charlie Chas Siarl
Philip Phil Phillip Pip Phylip
Kenneth Ken Kenny
Terence Terry Tel
Raymond Ray
Ronald Ron Ronnie
Donald Don Donnie
Gerald Gerry Jerry
Lawrence Laurence Larry Laurie Lawrie
Leonard Len Lenny Leo
Albert Al Bert Bertie
Alan Allan Allen Al Alun
Dorothy Dot Dottie Dora Dorothi
Caroline Carol Carrie Caro Carolyn
Theresa Teresa Tess Tessa Terri
Abigail Abi Abby Gail
Emily Em Emmy Emilia
Gwyneth Gwen Gwyn Gwynedd
Kimberley Kim Kimberly
Natalie Nat Natasha Tasha
Nathan Nath Nathaniel Nat
""".strip().splitlines()


_APOSTROPHES = re.compile(r"['’‘`´ʼʻ]")
_NOT_ALNUM = re.compile(r"[^a-z0-9]+")
# Little words that belong to the next word of a surname (ap Dafydd, Mac Donald, O Brien).
_PARTICLES = frozenset(
    ("ap", "ab", "ferch", "verch", "mac", "mc", "o", "st", "de", "di", "da", "le", "la")
    + ("van", "von", "der", "den", "del", "dos", "du")
)
# Particles a person may drop and still be the same name (Siân ap Dafydd, Siân Dafydd).
_PATRONYMICS = ("ap", "ab", "ferch", "verch")
# Longer input is cut: names are not essays, and the cost of comparing them must stay bounded.
MAX_NAME_LENGTH = 200
MAX_NAME_WORDS = 4


def name_fold(text: str) -> str:
    """'Siân  ap-Ŵyn' -> 'sian ap wyn': lower case ASCII words, diacritics folded, apostrophes
    dropped, any other punctuation a space."""
    text = unicodedata.normalize("NFKC", text[:MAX_NAME_LENGTH]).lower()
    ascii_text = _APOSTROPHES.sub("", ascii_fold(text))
    return " ".join(_NOT_ALNUM.sub(" ", ascii_text).split())


def _variant_table() -> dict[str, frozenset[int]]:
    groups: dict[str, set[int]] = defaultdict(set)
    for number, line in enumerate(_VARIANT_LINES):
        for name in line.split():
            groups[name_fold(name)].add(number)
    return {name: frozenset(numbers) for name, numbers in groups.items()}


VARIANTS = _variant_table()


@dataclass(frozen=True)
class Surname:
    full: str  # all parts run together: 'apdafydd', 'macdonald', 'jonesdavies'
    parts: tuple[str, ...]  # 'jones', 'davies'; a patronym also without its particle
    multi: bool  # a real double-barrelled name, not just a dropped-particle form


@lru_cache(maxsize=65536)
def surname_normalise(surname: str) -> Surname:
    words = name_fold(surname).split()[: MAX_NAME_WORDS * 2]
    merged: list[str] = []
    pending = ""
    for word in words:
        if word in _PARTICLES:
            pending += word
            continue
        merged.append(pending + word)
        pending = ""
    if pending:  # a surname that is only particles ('Ap'): keep what there is
        merged.append(pending)
    merged = ["mac" + part[2:] if part.startswith("mc") else part for part in merged]
    parts = list(merged)
    for part in merged:
        for particle in _PATRONYMICS:
            if part.startswith(particle) and len(part) > len(particle) + 1:
                parts.append(part[len(particle) :])
                break
    return Surname(full="".join(merged), parts=tuple(dict.fromkeys(parts)), multi=len(merged) > 1)


@lru_cache(maxsize=65536)
def forename_normalise(forename: str) -> tuple[str, ...]:
    """The forename's words, the first (the usual one) first; a multi-word forename also as one
    word ('Mary-Jane' -> 'mary', 'jane', 'maryjane')."""
    words = name_fold(forename).split()[:MAX_NAME_WORDS]
    if len(words) > 1:
        words.append("".join(words))
    return tuple(dict.fromkeys(words))


@lru_cache(maxsize=262144)
def _forename_word_score(one: str, other: str) -> tuple[int, str]:
    """Score of two forename words and why: same, variant (known or by prefix) or close."""
    if one == other:
        return 100, "name_same"
    if VARIANTS.get(one, frozenset()) & VARIANTS.get(other, frozenset()):
        return VARIANT_SCORE, "name_variant"
    shorter, longer = sorted((one, other), key=len)
    if len(shorter) >= 3 and longer.startswith(shorter):
        return PREFIX_SCORE, "name_variant"
    return round(fuzz.ratio(one, other)), "name_close"


@lru_cache(maxsize=262144)
def forename_score(one: tuple[str, ...], other: tuple[str, ...]) -> tuple[int, str]:
    """Best pairing of the words of two forenames; a word other than the first of each side
    (a middle name used as the known name) costs a little."""
    if not one or not other:
        return 0, "forename_differs"
    best = (0, "forename_differs")
    for i, word in enumerate(one):
        for j, other_word in enumerate(other):
            score, why = _forename_word_score(word, other_word)
            if i or j:
                score -= 5
            if score > best[0]:
                best = (score, why)
    return best


@lru_cache(maxsize=262144)
def surname_score(one: Surname, other: Surname) -> tuple[int, str]:
    """Score of two normalised surnames and why: same, close, or sharing a part."""
    if not one.full or not other.full:
        return 0, "surname_differs"
    if one.full == other.full:
        return 100, "name_same"
    best = (round(fuzz.ratio(one.full, other.full)), "name_close")
    if one.multi and other.multi:
        swapped = round(fuzz.ratio("".join(sorted(one.parts)), "".join(sorted(other.parts))))
        best = max(best, (min(swapped, SURNAME_SWAPPED_SCORE), "name_close"))
    if len(one.parts) > 1 or len(other.parts) > 1:
        cap = SURNAME_PARTS_SHARED_SCORE if one.multi and other.multi else SURNAME_PART_SCORE
        for part in one.parts:
            for other_part in other.parts:
                score = min(cap, round(fuzz.ratio(part, other_part)))
                if score > best[0]:
                    best = (score, "surname_part")
    return best
