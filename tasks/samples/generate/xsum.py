"""XSum: local-news documents of 4-8 sentences, each with a one-sentence summary in other words."""
from __future__ import annotations

import random

from .common import DAYS, XSUM_SIZES, cap, draw_splits, made_up_name, person, load_words

WORDS = load_words("xsum")
TOWN_A = WORDS["TOWN_A"]
TOWN_B = WORDS["TOWN_B"]
X_FACILITIES = WORDS["X_FACILITIES"]
X_OLD_SITES = WORDS["X_OLD_SITES"]
X_SPORTS = WORDS["X_SPORTS"]
X_CLUB_SUFFIX = WORDS["X_CLUB_SUFFIX"]
X_INDUSTRY = WORDS["X_INDUSTRY"]
X_COMPANY_SUFFIX = WORDS["X_COMPANY_SUFFIX"]
X_CHARITIES = WORDS["X_CHARITIES"]
X_FEATS = WORDS["X_FEATS"]
X_WEATHER = WORDS["X_WEATHER"]
X_ROLES = WORDS["X_ROLES"]


def town(rng):
    while True:
        a, b = rng.choice(TOWN_A), rng.choice(TOWN_B)
        if a[-1] != b[0]:  # no "Millley"
            return a + b


def pounds(rng, lo, hi):
    v = rng.randint(lo * 10, hi * 10) / 10
    return f"£{v:g}m"


def xsum_council(rng):
    t = town(rng)
    fac, fac2 = rng.choice(X_FACILITIES)
    old = rng.choice(X_OLD_SITES)
    cost = pounds(rng, 2, 40)
    year = rng.randint(2025, 2029)
    who, role = person(rng), rng.choice(X_ROLES)
    objections = rng.randint(12, 400)
    votes = rng.randint(5, 12), rng.randint(0, 4)
    lead = rng.choice([
        f"Councillors in {t} have approved plans for a new {fac} on the site of the former {old}.",
        f"Plans for a new {fac} on the site of the former {old} in {t} have been approved by councillors.",
        f"A new {fac} will be built in {t} after councillors voted in favour of the scheme on the former {old} site.",
    ])
    body = [
        f"The {cost} scheme was backed by {votes[0]} votes to {votes[1]} at a meeting of the planning committee on {rng.choice(DAYS)}.",
        f"Work is expected to begin next spring, with the {fac} due to open in {year}.",
        f"{who}, {role}, said the decision was \"a big step forward for the whole town\".",
        f"The council received {objections} objections, most of them about traffic and parking.",
        f"The {old} closed more than {rng.randint(5, 30)} years ago and the land has been empty since.",
        "A report to the committee said the project would be paid for partly by government grants.",
        "Residents will be able to see the final designs at an exhibition in the town hall next month.",
        "Opponents said they were disappointed but would not challenge the decision.",
    ]
    summaries = [
        (f"A {fac2} is to be built on an empty {old} site in {t} after councillors gave the go-ahead.", ()),
        (f"Plans for a {cost} {fac} in {t} have been given the green light despite {objections} objections.", (0, 3)),
        (f"{t} is to get a new {fac} after the scheme won council approval.", ()),
        (f"A new {fac} for {t} should open in {year} after the {cost} project was approved.", (0, 1)),
    ]
    return lead, body, summaries


def xsum_sport(rng):
    sport, trophy, scoring = rng.choice(X_SPORTS)
    t1, t2 = town(rng), town(rng)
    while t2 == t1:
        t2 = town(rng)
    c1 = f"{t1} {rng.choice(X_CLUB_SUFFIX)}"
    c2 = f"{t2} {rng.choice(X_CLUB_SUFFIX)}"
    comp = f"{rng.choice(['County', 'Regional', 'Northern', 'Western', 'National'])} {trophy}"
    s1, s2 = rng.randint(2, 5), rng.randint(0, 1)
    if sport == "rugby":
        s1, s2 = rng.randint(18, 40), rng.randint(3, 17)
    if sport == "netball":
        s1, s2 = rng.randint(40, 60), rng.randint(25, 39)
    wait = rng.randint(6, 40)
    scorer, manager = person(rng), person(rng)
    minute = rng.randint(2, 88)
    crowd = f"{rng.randint(2, 30)},{rng.randint(0, 999):03d}"
    lead = rng.choice([
        f"{c1} won the {comp} for the first time in {wait} years with a {s1}-{s2} win over {c2}.",
        f"{c1} beat {c2} {s1}-{s2} in the final of the {comp}, their first title for {wait} years.",
    ])
    body = [
        f"{scorer} opened the scoring with a {rng.choice(scoring)} in the {minute}th minute.",
        f"{c2} had the better of the early exchanges but could not find a way through.",
        f"A crowd of {crowd} watched the final at a sold-out ground on {rng.choice(DAYS + ['Saturday', 'Sunday'])}.",
        f"Manager {manager} said: \"I am so proud of the players, they deserved this.\"",
        f"{c1} finished the season unbeaten at home.",
        "The two sides will meet again in the league next month.",
        f"It was {c2}'s third defeat in a final in five years.",
    ]
    summaries = [
        (f"{c1} ended a {wait}-year wait for the {comp} by beating {c2}.", ()),
        (f"A {s1}-{s2} victory against {c2} gave {c1} their first {comp} title in {wait} years.", ()),
        (f"{c2} were beaten in the {comp} final as {c1} lifted the trophy.", ()),
        (f"{scorer} was on target as {c1} beat {c2} to claim the {comp}.", (0,)),
    ]
    return lead, body, summaries


def xsum_jobs(rng):
    t = town(rng)
    comp = f"{made_up_name(rng, 2)} {rng.choice(X_COMPANY_SUFFIX)}"
    fac, fac2 = rng.choice(X_INDUSTRY)
    n = rng.randint(4, 60) * 10
    cost = pounds(rng, 5, 90)
    boss = person(rng)
    if rng.random() < 0.55:
        lead = rng.choice([
            f"{comp} is to create {n} jobs at a new {fac} in {t}, the firm has announced.",
            f"A new {fac} in {t} will create {n} jobs, {comp} has said.",
        ])
        body = [
            f"The company said it would invest {cost} in the site, which is due to open next year.",
            "Recruitment will start in the autumn, with most roles in engineering and logistics.",
            f"Chief executive {boss} said {t} had been chosen because of its skilled workforce and good transport links.",
            f"Local MP {person(rng)} described the news as \"a real vote of confidence in the area\".",
            f"{comp} already employs about {rng.randint(2, 30) * 100} people across the country.",
            f"The new {fac} will be built on land next to the town's ring road.",
            "The firm said it also hoped to offer apprenticeships to school leavers.",
        ]
        summaries = [
            (f"About {n} new posts are coming to {t} after {comp} confirmed a {cost} investment.", (0,)),
            (f"A {fac2} that will employ {n} people is to be built in {t}.", ()),
            (f"{comp} has picked {t} as the home of a new {fac}, bringing {n} jobs.", ()),
        ]
    else:
        lead = rng.choice([
            f"{comp} is to close its {fac} in {t} with the loss of {n} jobs.",
            f"{n} jobs will go after {comp} confirmed it is closing its {fac} in {t}.",
        ])
        body = [
            "The firm blamed rising costs and falling demand for its products.",
            f"Staff were told of the decision at a meeting on {rng.choice(DAYS)} morning.",
            "A union spokesperson said workers were \"shocked and angry\" at the news.",
            f"The site has been open for {rng.randint(10, 60)} years and is one of the town's biggest employers.",
            f"{comp} said it would try to find other roles for some staff at its remaining sites.",
            "The closure is expected to be completed by the end of next year.",
            f"Council leader {boss} said the authority would do everything it could to help those affected.",
        ]
        summaries = [
            (f"{n} workers face losing their jobs after {comp} said it would shut its {t} site.", ()),
            (f"A {fac2} in {t} is to shut down, putting {n} people out of work.", ()),
            (f"Rising costs have led {comp} to announce the closure of its base in {t}.", (0,)),
        ]
    return lead, body, summaries


def xsum_charity(rng):
    who = person(rng)
    first = who.split()[0]
    age = rng.randint(14, 76)
    t = town(rng)
    charity = rng.choice(X_CHARITIES)
    feat, feat2 = rng.choice(X_FEATS)
    vals = {"n": rng.randint(40, 900), "a": town(rng), "b": town(rng), "k": rng.randint(3, 12),
            "lake": f"Loch {made_up_name(rng, 2)}"}
    feat, feat2 = feat.format(**vals), feat2.format(**vals)
    raised = f"£{rng.randint(2, 90) * 1000:,}"
    lead = f"{who}, {age}, from {t}, has raised {raised} for {charity} by {feat}."
    body = [
        f"{first} said the idea came after a close friend was helped by the charity last year.",
        f"The challenge was completed on {rng.choice(DAYS + ['Saturday', 'Sunday'])} in front of a small crowd of supporters.",
        f"Friends and family joined {first} for the final stretch.",
        f"\"There were times I wanted to give up, but the messages of support kept me going,\" {first} said.",
        f"The charity said the money would pay for {rng.choice(['two nurses', 'a new minibus', 'a year of counselling sessions', 'emergency beds'])}.",
        f"{first} is already planning another challenge for next summer.",
        "Donations are still being accepted through an online fundraising page.",
    ]
    summaries = [
        (f"A {age}-year-old from {t} has collected {raised} for {charity} after completing {feat2}.", ()),
        (f"{who} has completed {feat2} to raise money for {charity}.", ()),
    ]
    return lead, body, summaries


def xsum_weather(rng):
    kind, cause = rng.choice(X_WEATHER)
    t1, t2 = town(rng), town(rng)
    county = f"{rng.choice(['North', 'South', 'East', 'West', 'Upper'])} {made_up_name(rng, 2)}shire"
    n_roads = rng.randint(24, 70)
    n_schools = rng.randint(4, 80)
    lead = rng.choice([
        f"Dozens of roads across {county} have been closed after {cause} hit the area overnight.",
        f"{cap(cause)} has caused disruption across {county}, with dozens of roads closed.",
    ])
    body = [
        f"Police said {n_roads} routes were shut and urged drivers not to travel unless necessary.",
        f"At least {n_schools} schools did not open on {rng.choice(DAYS)}.",
        f"Train services between {t1} and {t2} were cancelled for most of the day.",
        f"A yellow warning for {kind} remains in place until midnight.",
        "The fire service said crews had helped people from several stranded vehicles.",
        "Forecasters expect conditions to improve later in the week.",
        "The council said its teams had been working through the night to clear the worst-hit areas.",
    ]
    summaries = [
        (f"Travel across {county} has been badly disrupted by {cause}, with {n_roads} roads shut.", (0,)),
        (f"{cap(cause)} has closed {n_schools} schools and many roads in {county}.", (1,)),
        (f"Drivers in {county} have been told to stay at home after {cause} shut many roads.", (0,)),
    ]
    return lead, body, summaries


def xsum_doc(rng: random.Random) -> tuple[str, str]:
    maker = rng.choice([xsum_council, xsum_sport, xsum_jobs, xsum_charity, xsum_weather])
    for _ in range(200):
        lead, body, summaries = maker(rng)
        summary, needs = rng.choice(summaries)
        k = rng.randint(max(3, len(needs)), min(7, len(body)))
        rest = [j for j in range(len(body)) if j not in needs]
        picked = sorted(list(needs) + rng.sample(rest, k - len(needs)))
        if rng.random() < 0.3:  # occasionally move a sentence, so order is not fixed
            j = picked.pop(rng.randrange(len(picked)))
            picked.insert(rng.randrange(len(picked) + 1), j)
        lines = [lead] + [body[j] for j in picked]
        words = sum(len(line.split()) for line in lines)
        if 4 <= len(lines) <= 8 and 60 <= words <= 120:
            return "\n".join(lines), summary
    raise RuntimeError("could not build an xsum document in range")


def gen_xsum(rng: random.Random) -> dict[str, list[dict]]:
    used_ids: set[str] = set()

    def make(rng, i, split):
        doc, summary = xsum_doc(rng)
        while True:
            xid = str(rng.randint(10_000_000, 49_999_999))
            if xid not in used_ids:
                used_ids.add(xid)
                break
        return {"document": doc, "summary": summary, "id": xid}

    return draw_splits(rng, XSUM_SIZES, make, key=lambda r: r["document"])
