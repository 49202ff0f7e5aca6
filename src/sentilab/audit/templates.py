"""The sentences the audit feeds a model: fairness templates, behaviour-test word lists, template CSVs.

Fairness templates (Kiritchenko & Mohammad 2018's design, with templates written for sentilab): sentences
whose person slot is filled with female and male noun phrases ("my sister", "my brother") and first names,
crossed with emotion words. Behaviour tests (Ribeiro et al. 2020's CheckList, tests written for sentilab)
are drawn from the word lists and frames below by :mod:`sentilab.audit.behaviour`.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from sentilab.errors import DataError

# =========================================================================== fairness templates
# Names from the Implicit Association Test lists as used by Caliskan et al. (2017) and selected by
# Kiritchenko & Mohammad (2018) for the Equity Evaluation Corpus: ten per race x gender cell.
NAMES: dict[tuple[str, str], list[str]] = {
    ("African-American", "female"): [
        "Ebony", "Jasmine", "Lakisha", "Latisha", "Latoya", "Nichelle", "Shaniqua", "Shereen", "Tanisha", "Tia",
    ],
    ("African-American", "male"): [
        "Alonzo", "Alphonse", "Darnell", "Jamel", "Jerome", "Lamar", "Leroy", "Malik", "Terrence", "Torrance",
    ],
    ("European-American", "female"): [
        "Amanda", "Betsy", "Courtney", "Ellen", "Heather", "Katie", "Kristin", "Melanie", "Nancy", "Stephanie",
    ],
    ("European-American", "male"): [
        "Adam", "Alan", "Andrew", "Frank", "Harry", "Jack", "Josh", "Justin", "Roger", "Ryan",
    ],
}  # fmt: skip

#: Female/male noun phrases, aligned pair by pair.
GENDER_PHRASES: list[tuple[str, str]] = [
    ("my sister", "my brother"),
    ("my mother", "my father"),
    ("my daughter", "my son"),
    ("my aunt", "my uncle"),
    ("my wife", "my husband"),
    ("my niece", "my nephew"),
    ("my grandmother", "my grandfather"),
    ("my girlfriend", "my boyfriend"),
    ("this woman", "this man"),
    ("that girl", "that boy"),
]

#: Templates written for sentilab. {person} is the person slot, {word} the emotion word.
#: "state" templates take a word for how someone feels; "situation" templates a word for an event.
STATE_TEMPLATES = [
    "{person} was {word} after the phone call.",
    "Everyone could tell that {person} was {word}.",
    "The letter left {person} {word}.",
    "After the meeting, {person} looked {word}.",
]
SITUATION_TEMPLATES = [
    "{person} described the trip as {word}.",
    "The evening with {person} was {word}.",
    "I heard about the {word} week {person} had.",
    "{person} told me the news was {word}.",
]
NEUTRAL_TEMPLATES = [
    "{person} took the bus to work this morning.",
    "I had lunch with {person} on Tuesday.",
    "{person} lives two streets from here.",
    "We met {person} at the train station.",
    "{person} bought a new lamp last week.",
    "I sent {person} the address in an email.",
]
#: emotion -> (state words, situation words); five of each, chosen for sentilab.
EMOTION_WORDS: dict[str, tuple[list[str], list[str]]] = {
    "anger": (
        ["angry", "furious", "irate", "resentful", "livid"],
        ["infuriating", "insulting", "maddening", "frustrating", "offensive"],
    ),
    "fear": (
        ["afraid", "frightened", "nervous", "panicked", "uneasy"],
        ["terrifying", "alarming", "menacing", "scary", "dangerous"],
    ),
    "joy": (
        ["happy", "cheerful", "delighted", "thrilled", "overjoyed"],
        ["wonderful", "delightful", "lovely", "joyful", "fantastic"],
    ),
    "sadness": (
        ["sad", "heartbroken", "miserable", "gloomy", "lonely"],
        ["depressing", "heartbreaking", "tragic", "bleak", "dismal"],
    ),
}
NO_EMOTION = "no emotion"


def _persons() -> list[dict[str, str | None]]:
    persons: list[dict[str, str | None]] = []
    for female, male in GENDER_PHRASES:
        persons.append({"person": female, "person_kind": "noun phrase", "gender": "female", "race": None})
        persons.append({"person": male, "person_kind": "noun phrase", "gender": "male", "race": None})
    for (race, gender), names in NAMES.items():
        for name in names:
            persons.append({"person": name, "person_kind": "name", "gender": gender, "race": race})
    return persons


def _fill(template: str, **slots: str) -> str:
    sentence = template.format(**slots)
    return sentence[0].upper() + sentence[1:]


def fairness_templates() -> pd.DataFrame:
    """The built-in template sentences, one row per sentence.

    Columns: ``sentence``, ``template``, ``template_kind`` (emotional/neutral), ``emotion`` (anger, fear,
    joy, sadness, or ``no emotion``), ``word`` (the emotion word, ``""`` for neutral templates), ``person``,
    ``person_kind`` (noun phrase/name), ``gender`` (female/male), ``race`` (African-American/
    European-American for names, empty for noun phrases).
    """
    rows = []
    persons = _persons()
    units: list[tuple[str, str, str, str]] = []  # (template, kind, emotion, word)
    for emotion, (states, situations) in EMOTION_WORDS.items():
        units += [(t, "emotional", emotion, w) for t in STATE_TEMPLATES for w in states]
        units += [(t, "emotional", emotion, w) for t in SITUATION_TEMPLATES for w in situations]
    units += [(t, "neutral", NO_EMOTION, "") for t in NEUTRAL_TEMPLATES]
    for template, kind, emotion, word in units:
        for person in persons:
            rows.append(
                {
                    "sentence": _fill(template, person=person["person"], word=word),
                    "template": template,
                    "template_kind": kind,
                    "emotion": emotion,
                    "word": word,
                    **person,
                }
            )
    return pd.DataFrame(rows)


#: How the built-in templates are audited: dimensions, what a unit is, who a person is, the breakdown.
BUILTIN_DESIGN = {
    "sentence_col": "sentence",
    "group_cols": ["gender", "race"],
    "match_cols": ["template", "word"],
    "person_col": "person",
    "by": "emotion",
}


def read_templates(path: str | Path) -> pd.DataFrame:
    """Read a template corpus (CSV, or TSV when the name ends in .tsv/.tab) as strings; clear errors."""
    path = Path(path)
    if not path.is_file():
        raise DataError(
            f"template file {path} does not exist", hint="give a CSV with a sentence column and group columns"
        )
    sep = "\t" if path.suffix.lower() in (".tsv", ".tab") else ","
    try:
        frame = pd.read_csv(
            path, sep=sep, dtype=str, keep_default_na=False, na_values=[""], encoding="utf-8-sig"
        )
    except UnicodeDecodeError as exc:
        raise DataError(f"{path} is not UTF-8 text ({exc})", hint="re-save the file as UTF-8") from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise DataError(f"cannot read {path} as {'TSV' if sep == chr(9) else 'CSV'}: {exc}") from None
    if frame.empty:
        raise DataError(f"{path} has no rows")
    return frame


# =========================================================================== behaviour-test word lists
THINGS = [
    "food",
    "movie",
    "service",
    "hotel",
    "phone",
    "book",
    "concert",
    "flight",
    "game",
    "coffee",
    "album",
    "restaurant",
]
POSITIVE_ADJECTIVES = [
    "good", "great", "excellent", "wonderful", "amazing", "fantastic",
    "lovely", "nice", "enjoyable", "brilliant", "pleasant", "superb",
]  # fmt: skip
NEGATIVE_ADJECTIVES = [
    "bad", "terrible", "awful", "horrible", "boring", "disappointing",
    "poor", "dreadful", "lousy", "annoying", "unpleasant", "mediocre",
]  # fmt: skip
INTENSIFIERS = ["very", "really", "extremely", "incredibly", "truly", "so"]
REDUCERS = ["somewhat", "slightly", "a bit", "kind of", "mildly"]
#: (plain frame, negated frames): {thing} and {adj} slots.
ADJECTIVE_FRAMES: list[tuple[str, tuple[str, ...]]] = [
    ("The {thing} was {adj}.", ("The {thing} was not {adj}.", "The {thing} wasn't {adj}.")),
    ("This {thing} is {adj}.", ("This {thing} is not {adj}.", "This {thing} isn't {adj}.")),
    ("I found the {thing} {adj}.", ("I did not find the {thing} {adj}.", "I didn't find the {thing} {adj}.")),
    (
        "Honestly, the {thing} was {adj}.",
        ("Honestly, the {thing} was not {adj}.", "Honestly, the {thing} wasn't {adj}."),
    ),
]
INVARIANCE_FRAMES = [plain for plain, _ in ADJECTIVE_FRAMES] + [
    "We tried the {thing} again yesterday and it was {adj}."
]
#: A negation at the end of the text that undoes what came before.
NEGATED_AT_END_FRAMES = {
    "negative": [
        "I thought the {thing} would be {adj}, but it was not {adj}.",
        "I expected the {thing} to be {adj}, but it wasn't {adj} at all.",
        "Everyone warned me the {thing} would be {adj}, but it was not.",
        "I was worried the {thing} would be {adj}. It wasn't.",
    ],
    "positive": [
        "I thought the {thing} would be {adj}, but it was not {adj}.",
        "I expected the {thing} to be {adj}, but it wasn't {adj} at all.",
        "Everyone told me the {thing} would be {adj}, but it was not.",
        "I hoped the {thing} would be {adj}. It wasn't.",
    ],
}
NAME_FRAMES = [
    "{name} said the {thing} was {adj}.",
    "According to {name}, the {thing} was {adj}.",
    "{name} thinks this {thing} is {adj}.",
    "I went with {name} and the {thing} was {adj}.",
]
