"""SQuAD: short made-up encyclopedia paragraphs, questions and answer spans."""
from __future__ import annotations

import random
import string

from .common import FIRST_NAMES, SIZES, cap, draw_splits, made_up_name, load_words

WORDS = load_words("squad")
SQ_FIELDS = WORDS["SQ_FIELDS"]
SQ_JOBS = WORDS["SQ_JOBS"]
SQ_PRIZES = WORDS["SQ_PRIZES"]
SQ_TOPICS = WORDS["SQ_TOPICS"]
SQ_PRODUCTS = WORDS["SQ_PRODUCTS"]
SQ_ORG_KIND = WORDS["SQ_ORG_KIND"]
SQ_LANDMARKS = WORDS["SQ_LANDMARKS"]
SQ_TOWN_KIND = WORDS["SQ_TOWN_KIND"]


class Ctx:
    """Builds a context from templates, remembering where every slot landed."""

    def __init__(self) -> None:
        self.text = ""
        self.spans: dict[str, tuple[int, int]] = {}

    def add(self, template: str, **values: str) -> None:
        sentence = ""
        local: dict[str, tuple[int, int]] = {}
        for literal, field, _spec, _conv in string.Formatter().parse(template):
            sentence += literal
            if field is not None:
                v = values[field]
                local[field] = (len(sentence), len(sentence) + len(v))
                sentence += v
        base = len(self.text) + (1 if self.text else 0)
        self.text = (self.text + " " + sentence) if self.text else sentence
        for k, (s, e) in local.items():
            if k not in self.spans:  # first mention is the answer location
                self.spans[k] = (base + s, base + e)

    def answer(self, slot: str, extend_left: str = "", extend_right: str = "") -> tuple[str, int]:
        s, e = self.spans[slot]
        s -= len(extend_left)
        e += len(extend_right)
        t = self.text[s:e]
        assert self.text[s:e] == t and t.startswith(extend_left) and t.endswith(extend_right)
        return t, s


def squad_person(rng):
    sex = rng.choice(["f", "m"])
    first = rng.choice([f for f in FIRST_NAMES if (f in ("Maria", "Elena", "Priya", "Lena", "Yuki", "Sofia", "Ingrid", "Nadia", "Amara", "Mei", "Fatima", "Olga", "Aisha", "Ruth", "Brenda")) == (sex == "f")])
    name = f"{first} {made_up_name(rng, 2)}{rng.choice(['', 'sen', 'ova', 'er', 'is'])}"
    he, his = ("she", "her") if sex == "f" else ("he", "his")
    v = {"name": name, "town": made_up_name(rng), "year": str(rng.randint(1921, 1994)),
         "field": rng.choice(SQ_FIELDS), "uni": "University of " + made_up_name(rng),
         "org": f"{made_up_name(rng)} {rng.choice(SQ_ORG_KIND)}", "job": rng.choice(SQ_JOBS),
         "prize": rng.choice(SQ_PRIZES), "topic": rng.choice(SQ_TOPICS)}
    v["pyear"] = str(int(v["year"]) + rng.randint(28, 50))
    c = Ctx()
    qs = []
    c.add(rng.choice(["{name} was born in {town} in {year}.",
                      "{name} was born in {year} in the town of {town}.",
                      "Born in {town} in {year}, {name} grew up near the coast."]), **v)
    qs += [
        (rng.choice(["Where was {name} born?", "In which town was {name} born?", "What is the birthplace of {name}?"]), [("town", "", "")]),
        (rng.choice(["In what year was {name} born?", "When was {name} born?", "What year was {name} born in?"]), [("year", "", ""), ("year", "in ", "")]),
    ]
    facts = [
        ("{He} studied {field} at the {uni}.",
         [(rng.choice(["What did {name} study?", "Which subject did {name} study at university?"]), [("field", "", "")]),
          (rng.choice(["Where did {name} study?", "At which university did {name} study {field}?"]), [("uni", "", ""), ("uni", "the ", "")])]),
        ("{He} later worked for {org} as a {job}.",
         [(rng.choice(["Which company did {name} work for?", "For what organisation did {name} work?"]), [("org", "", "")]),
          (rng.choice(["What was {name}'s job at {org}?", "What position did {name} hold at {org}?"]), [("job", "", ""), ("job", "a ", "")])]),
        ("In {pyear}, {he} won the {prize} for {his} work on {topic}.",
         [(rng.choice(["What prize did {name} win in {pyear}?", "Which award did {name} receive in {pyear}?"]), [("prize", "", ""), ("prize", "the ", "")]),
          (rng.choice(["In what year did {name} win the {prize}?", "When did {name} receive the {prize}?"]), [("pyear", "", ""), ("pyear", "In ", "")]),
          (rng.choice(["For work on what did {name} win the {prize}?", "What was the prize-winning work of {name} about?"]), [("topic", "", "")])]),
    ]
    return "person", v, c, qs, facts, {"he": he, "He": cap(he), "his": his}


def squad_org(rng):
    v = {"name": f"{made_up_name(rng)} {rng.choice(SQ_ORG_KIND)}", "year": str(rng.randint(1850, 2005)),
         "founder": f"{rng.choice(FIRST_NAMES)} {made_up_name(rng, 2)}", "city": made_up_name(rng),
         "river": made_up_name(rng, 2), "n": f"{rng.randint(3, 95) * 100:,}",
         "product": rng.choice(SQ_PRODUCTS), "ceo": f"{rng.choice(FIRST_NAMES)} {made_up_name(rng, 2)}"}
    c = Ctx()
    c.add(rng.choice(["{name} was founded in {year} by {founder}.",
                      "{name} is a company founded by {founder} in {year}.",
                      "In {year}, {founder} founded {name}."]), **v)
    qs = [
        (rng.choice(["Who founded {name}?", "Who was the founder of {name}?"]), [("founder", "", "")]),
        (rng.choice(["When was {name} founded?", "In what year was {name} founded?"]), [("year", "", ""), ("year", "in ", "")]),
    ]
    facts = [
        ("The company is based in {city}, a city on the {river} River.",
         [(rng.choice(["Where is {name} based?", "In which city is {name} based?"]), [("city", "", "")]),
          (rng.choice(["Which river is {city} on?", "On what river does {city} lie?"]), [("river", "", ""), ("river", "the ", " River")])]),
        ("It employs about {n} people and makes {product}.",
         [(rng.choice(["How many people does {name} employ?", "How many employees does {name} have?"]), [("n", "about ", ""), ("n", "", "")]),
          (rng.choice(["What does {name} make?", "What products does {name} make?"]), [("product", "", "")])]),
        ("Its current chief executive is {ceo}.",
         [(rng.choice(["Who is the chief executive of {name}?", "Who runs {name}?"]), [("ceo", "", "")])]),
    ]
    return "org", v, c, qs, facts, {}


def squad_place(rng):
    v = {"name": made_up_name(rng), "region": made_up_name(rng), "river": made_up_name(rng, 2),
         "km": str(rng.randint(12, 480)), "city2": made_up_name(rng), "year": str(rng.randint(900, 1890)),
         "kind": rng.choice(SQ_TOWN_KIND), "pop": f"{rng.randint(4, 900) * 1000:,}",
         "landmark": rng.choice(SQ_LANDMARKS)}
    c = Ctx()
    c.add(rng.choice(["{name} is the capital of the {region} region.",
                      "{name} serves as the capital of the {region} region.",
                      "The capital of the {region} region is {name}."]), **v)
    qs = [(rng.choice(["{name} is the capital of which region?", "Which region has {name} as its capital?"]),
           [("region", "", ""), ("region", "the ", " region")])]
    facts = [
        ("It lies on the {river} River, about {km} kilometres from {city2}.",
         [(rng.choice(["On which river does {name} lie?", "What river runs through {name}?"]), [("river", "", ""), ("river", "the ", " River")]),
          (rng.choice(["How far is {name} from {city2}?", "What is the distance between {name} and {city2}?"]), [("km", "about ", " kilometres"), ("km", "", " kilometres")])]),
        ("The city was founded in {year} as a {kind} town.",
         [(rng.choice(["When was {name} founded?", "In what year was {name} founded?"]), [("year", "", ""), ("year", "in ", "")]),
          (rng.choice(["What kind of town was {name} when it was founded?", "{name} was founded as what kind of town?"]), [("kind", "", ""), ("kind", "a ", " town")])]),
        ("Today {name} has a population of about {pop}.",
         [(rng.choice(["What is the population of {name}?", "How many people live in {name}?"]), [("pop", "about ", ""), ("pop", "", "")])]),
        ("Its best known landmark is the {landmark}.",
         [(rng.choice(["What is the best known landmark in {name}?", "Which landmark is {name} best known for?"]), [("landmark", "the ", ""), ("landmark", "", "")])]),
    ]
    return "place", v, c, qs, facts, {}


def squad_row(rng: random.Random, split: str) -> dict:
    kind, v, c, qs, facts, pron = rng.choice([squad_person, squad_org, squad_place])(rng)
    n_more = rng.randint(1, min(3, len(facts)))
    for j in sorted(rng.sample(range(len(facts)), n_more)):  # keep the facts in story order
        tmpl, fqs = facts[j]
        c.add(tmpl, **v, **pron)
        qs = qs + fqs
    q_tmpl, answer_specs = rng.choice(qs)
    question = q_tmpl.format(**v)
    if split == "train":
        specs = answer_specs[:1]
    else:
        # like SQuAD dev: 1-3 reference answers, variants ("1987" / "in 1987") or repeats
        k = rng.randint(1, 3)
        specs = [answer_specs[0]] + [rng.choice(answer_specs) for _ in range(k - 1)]
    texts, starts = [], []
    for slot, left, right in specs:
        t, s = c.answer(slot, left, right)
        assert c.text[s:s + len(t)] == t
        texts.append(t)
        starts.append(s)
    title = v["name"].replace(" ", "_")
    return {"id": f"{rng.getrandbits(96):024x}", "title": title, "context": c.text,
            "question": question, "answers": {"text": texts, "answer_start": starts}}


def gen_squad(rng: random.Random) -> dict[str, list[dict]]:
    return draw_splits(rng, SIZES, lambda rng, i, split: squad_row(rng, split),
                       key=lambda r: (r["context"], r["question"]))
