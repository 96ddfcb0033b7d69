"""Answer types, the fitted abstention model, the evaluation set and its split."""

from __future__ import annotations

import json
import re
from collections import Counter

import numpy as np
import pytest

from cimic import answer_types as at
from cimic.abstention import FEATURES, AbstentionModel, Evidence, explain
from cimic.evaluation import HELD_OUT, TUNING, split_of
from cimic.fitting import SIGNS, choose_threshold, fit_abstention

from .conftest import ROOT

SEEDS = ROOT.parent / "shared" / "seeds"
QUESTIONS = ROOT / "eval" / "questions.jsonl"
# the check sets written after each session's changes (never fitted on)
CHECK_SETS = sorted((ROOT / "eval").glob("fresh*.jsonl"))


@pytest.mark.parametrize(
    ("question", "types"),
    [
        ("What salary does a NATO gender advisor earn?", {at.MONEY}),
        ("How many people work in the office?", {at.COUNT}),
        ("When is the next Deep-Dive session?", {at.FUTURE_DATE}),
        ("In what year was the centre founded?", {at.DATE}),
        ("Who is the current Chief of the office?", {at.NAMED, at.DATE}),
        ("Who heads Allied Command Operations?", {at.HOLDER}),
        ("Who chairs the committee?", {at.HOLDER}),  # a person or an office chairs, not a body
        ("Who supports Allies in meeting them?", {at.INDIVIDUAL}),
        # The question names the office: only its holder's name answers.
        ("Who is the Director General of the International Military Staff?", {at.NAMED}),
        ("Which NATO members have published a national plan?", {at.COUNTRIES}),
        ("Which universities partner with the centre?", {at.UNIVERSITY}),
        ("Which agencies fund the centre?", {at.ORGANISATIONS}),
        ("Who took part in the session?", {at.PERSON}),
        ("Where is the centre located?", {at.PLACE}),
        ("Which countries have appointed a focal point?", {at.COUNTRIES}),
        ("Which NGOs does NATO partner with?", {at.NGO}),
        ("Why was the revision delayed?", {at.REASON}),
        ("How do I apply for the course?", {at.PROCEDURE}),
        ("How does a nation apply to join?", {at.PROCEDURE}),
        ("How does a nation's wealth influence its forces?", set()),
        ("When reading the report, what did hybrid threats mean?", set()),
        ("In which Belgian city is the group based?", {at.CITY}),
        # A time in the preamble is not the time asked about.
        ("For my briefing next week: what are the seven requirements?", set()),
        ("Who leads the office now?", {at.NAMED, at.DATE}),
        # A present-time word in a question about the past asks what was said, not when.
        ("What did the latest pledge ask of such tools?", set()),
        ("What is the latest figure?", {at.DATE}),
        # "Who are / might …" may be answered by a group; "today's" qualifies, it asks no time;
        # "Whose …" asks for a person, a group or a body.
        ("Who might troops meet in a theatre?", {at.PERSON}),
        ("Whose voices must be heard to tackle today's security problems?", {at.PARTY}),
        # A "who" that is the object asks for the other party: a person, a group or a body.
        ("Who did the centre team up with to propose the term?", {at.PARTY}),
        ("Whom does the IMS Gender Advisor advise?", {at.PARTY}),
        ("To whom do its personnel report?", {at.PARTY}),
        ("Who would attend such a session?", {at.PERSON}),  # after a modal, "who" is the subject
        # Quantities other than counts and money: a length of time, a share, a frequency.
        ("How long does the gender advisor course last?", {at.DURATION}),
        ("How much time do the actors spend on dialogue?", {at.DURATION}),  # not money
        ("What is the duration of a liaison posting?", {at.DURATION}),
        ("How long ago was the guidance issued?", {at.DATE}),
        ("How old is the report?", {at.DATE}),
        ("What percentage of the staff are civilians?", {at.PROPORTION}),
        ("What share of the budget goes to training?", {at.PROPORTION}),
        ("At what rate did requests grow?", {at.PROPORTION}),
        ("How often does the committee meet?", {at.FREQUENCY}),
        ("How many times a year does the committee meet?", {at.FREQUENCY}),  # not a count
        ("At what intervals are national reports due?", {at.FREQUENCY}),
        # A way to reach someone, a language, a rank; "How big" asks for a number.
        ("What is the email address of the office?", {at.CONTACT}),
        ("Which website does the centre run?", {at.CONTACT}),
        ("What does the centre's website say about resilience?", set()),  # its content
        ("What is the link between CIMIC and MDO?", set()),
        ("In which languages are the courses taught?", {at.LANGUAGE}),
        ("What rank does the speaker hold?", {at.RANK}),
        ("How big is the engagement group?", {at.COUNT}),
        ("What is the name of the Chief of the office?", {at.NAMED}),
        ("What is the name of the centre?", set()),
        ("What is the location of the course?", {at.PLACE}),
        ("What is the headcount of the office?", {at.COUNT}),
        ("What is the length of the gender focal point course?", {at.DURATION}),
        ("What is the timeline for the MC 411 revision?", {at.DATE}),
        ("How far is SHAPE from NATO headquarters in Brussels?", {at.MEASURE}),
        ("How heavy is the printed handbook?", {at.MEASURE}),
        # an extent, not a distance
        ("How far does NATO's concern reach beyond conflict zones?", set()),
        ("What time does the Deep-Dive session start?", {at.TIME}),
        ("At what time of year was the approach adopted?", {at.DATE}),
        ("At what age can a soldier join the unit?", {at.COUNT}),
        # two words before the noun that names the quantity
        ("What is the maximum class size at the NCGM?", {at.COUNT}),
        # a yes/no question that names an answer of a kind needs passages that state one
        ("Is the exercise held every year?", {at.FREQUENCY}),
        ("Are the NCGM courses taught in Swedish?", {at.LANGUAGE}),
        ("Is the office located in Brussels?", {at.PLACE}),
        ("Does ACO work from SHAPE in Mons?", set()),
        ("Is CIMIC done in Peacetime?", set()),
        # one holder of an office among several: only a name answers
        ("Who was the first NATO gender advisor?", {at.NAMED}),
        ("What is the exact start date of the course?", {at.DATE}),
        ("Are there any statistics on women in the unit?", {at.COUNT}),
        ("Whose idea was the Digital CIMIC Handbook?", {at.PARTY}),
        # a country, in the singular too; a nationality ("nation's army") no country name states
        ("Which country hosts the centre?", {at.COUNTRIES}),
        ("Which Ally contributes the most staff to the centre?", {at.COUNTRIES}),
        ("Which nation's army has such a group?", set()),
        # partners, and a plural "who", may be nations, organisations or staffs
        ("Which partners does the office keep in touch with?", {at.PARTY}),
        ("Who are the two senior strategic commands?", {at.PARTY}),
        # a yes/no question that names a value ("in charge of" names none)
        ("Is there a fee for using the handbook?", {at.MONEY}),
        ("Is there a deadline for national reports?", {at.DATE}),
        ("Is there an age limit for the course?", {at.COUNT}),
        ("Was she once in charge of the unit?", set()),
        # comparisons of age or size
        ("Which is older, the CCOE or the NCGM?", {at.DATE}),
        ("Is the NCGM larger than the CCOE?", {at.COUNT}),
        ("What colour is the centre's logo?", {at.COLOUR}),
        ("Which university did she graduate from?", {at.UNIVERSITY}),
        ("What are the opening hours of the library?", {at.TIME}),
        ("On which day of the week are the sessions held?", {at.WEEKDAY}),
        ("Who is in charge of the centre at the moment?", {at.DATE, at.NAMED}),
        ("What is the manual's page count?", {at.COUNT}),
        ("Who chaired the Madrid Summit?", {at.HOLDER}),
        ("In which building does the office sit?", {at.PLACE}),
        # a business, a non-governmental body
        ("Which companies built the software behind the handbook?", {at.COMPANY}),
        ("Which firm supplies the course materials?", {at.COMPANY}),
        ("Which charities support the centre?", {at.NGO}),
        # "current" after a verb of keeping means up to date, not now
        ("How is the digital handbook kept current?", set()),
        ("What is the current budget of the office?", {at.MONEY, at.DATE}),
        # money by its other names; "in charge" and "pay attention" name none
        ("What does the centre charge for membership?", {at.MONEY}),
        ("What is the group in charge of?", set()),
        ("What is the pay of a CIMIC officer?", {at.MONEY}),
        ("What does a gender advisor earn?", {at.MONEY}),
        ("What is the yearly spending of the centre?", {at.MONEY}),
        ("What does NATO pay attention to?", set()),
        # "Which person" asks for one person, as "Who is" does; a role's holder is a person
        ("Which person set up the centre?", {at.INDIVIDUAL}),
        ("Who was the main author of MC 411?", {at.INDIVIDUAL}),
        ("Where will the next session be held?", {at.FUTURE_DATE, at.PLACE}),
    ],
)
def test_expected_answer_types(question, types):
    assert at.expected_types(question) == types


@pytest.mark.parametrize(
    ("kind", "text", "found"),
    [
        (at.COUNT, "The seven baseline requirements of NATO", ["seven baseline requirements"]),
        (at.MEASURE, "about 40 km from Mons, 12 square kilometres, 3 tonnes", None),
        (at.MEASURE, "the seven baseline requirements, in 2019, MC 411", []),
        (at.TIME, "opens at 10:30, or 9 am, 14h00, noon", ["10:30", "9 am", "14h00", "noon"]),
        (at.TIME, "2.5 million people, 1.9Mb, 12 June 2025", []),
        # "Whom does it give guidance to?": a kind of body is the other party of a relation
        (at.PARTY, "guidance for NATO military bodies", ["NATO", "bodies"]),
        (at.COUNT, "adopted in 2004 under MC 411 and UNSCR 1325 on 12 Jan 2021", []),
        (at.MONEY, "a budget of €4 million, or 3.5 million EUR", ["€4", "3.5 million EUR"]),
        (at.MONEY, "the gender advisor earns respect", []),
        # A currency's name alone is no amount; nor are ISO 4217's non-currencies ("XXX … involved").
        (at.MONEY, "Partners are involved in a real effort to mark the euro's role", []),
        (
            at.MONEY,
            "it cost 300 euros, then two million dollars",
            ["300 euros", "two million dollars"],
        ),
        (at.INDIVIDUAL, "advises the NCGP Chairperson", None),
        (at.INDIVIDUAL, "women and girls, civilians and troops", []),
        (at.INDIVIDUAL, "The Quartermaster Liaison Cell coordinates deliveries", None),
        # Who holds an office now: a name, not the office's title again.
        (at.NAMED, "the Chief of the Office and the Gender Advisor", []),
        (at.HOLDER, "NATO and the EU hold talks.", []),
        (at.HOLDER, "It is headed by the Supreme Allied Commander Europe.", None),
        (at.INDIVIDUAL, "NATO and the EU hold talks.", None),
        (at.NAMED, "said Lieutenant Colonel Verbanck", ["Lieutenant Colonel Verbanck"]),
        (at.DATE, "Last updated: 12 Jan. 2021", ["12 Jan", "2021"]),
        (
            at.COUNTRIES,
            "examples from Lebanon, Chad and the Democratic Republic of the Congo",
            None,
        ),
        (at.PERSON, "featured Major Linda Rullens, Staff Officer", None),
        (at.PERSON, "in partnership with the ACO CIMIC Working Group", []),
        (at.PARTY, "in partnership with the ACO CIMIC Working Group", None),
        (
            at.CITY,
            "SHAPE in Mons, near Brussels. The European Union met the Alliance in June.",
            ["Mons", "Brussels"],
        ),
        (at.CITY, "adopted at the Madrid Summit; the Hague Convention (1954)", ["Madrid"]),
        (
            at.DATE,
            "In the past year, requests rose; next month too",
            ["In the past year", "next month"],
        ),
        (at.DATE, "principles adopted over the past decade", []),  # a span, not a time
        (
            at.DURATION,
            "a 12-month tour of two weeks' training, since 2009, in a longstanding relationship",
            ["12-month", "two weeks", "since 2009", "longstanding"],
        ),
        (at.DURATION, "It was issued three years ago at the 2019 summit", []),
        (at.PROPORTION, "30% of staff, ten per cent of units, one in five, half of them", None),
        (at.PROPORTION, "3 in 2019 and 26 entities", []),
        (
            at.FREQUENCY,
            "its monthly session, every two years, twice a year, allows for continuous updates",
            ["monthly", "every two years", "twice a year", "continuous"],
        ),
        (at.FREQUENCY, "The committee met in Rome in November 2011", []),
        (
            at.CONTACT,
            "write to info@example.org, see https://www.nato.int/x or www.act.nato.int, call "
            "+32 65 44 7111, visit 12 Brasserskade Road or P.O. Box 12",
            [
                "info@example.org",
                "https://www.nato.int/x",
                "www.act.nato.int",
                "+32 65 44 7111",
                "12 Brasserskade Road",
                "P.O. Box 12",
            ],
        ),
        (at.CONTACT, "UNSCR 1325 (2000), on 12 June 2025 under AJP-3.19, 0.5 of them", []),
        (at.LANGUAGE, "courses in English and French for Chad and Congo", ["English", "French"]),
        (
            at.RANK,
            "Lieutenant Colonel Françoise Verbanck and Commander Tyson Nicholas in an OF-4 post",
            ["Lieutenant Colonel Françoise", "Commander Tyson", "OF-4"],
        ),
        # an office's title is no rank, nor is an adjective
        (at.RANK, "the Supreme Allied Commander Europe, the Director General, major shocks", []),
        (at.COLOUR, "a navy blue logo with gold stars", ["navy", "blue", "gold"]),
        (at.WEEKDAY, "every Thursday, not at weekends; on 12 June 2025", ["Thursday", "weekends"]),
        (
            at.UNIVERSITY,
            "studied at the NATO Defense College and the University of Leiden, then the CIMIC "
            "Centre of Excellence",
            ["NATO Defense College", "University of Leiden"],
        ),
        # the minutes of a clock time count nothing, nor does a number end a line
        (at.COUNT, "Last updated: 12 Jan. 2021 10:51\n\nThe IMS Office", []),
        # an acronym the passage spells out as a country or a kind of violence is no organisation
        (
            at.ORGANISATIONS,
            "in the Democratic Republic of the Congo (DRC), with UN OCHA; in the DRC, schools",
            ["UN", "OCHA"],
        ),
        (
            at.ORGANISATIONS,
            "sexual and gender-based violence (SGBV) risks in the UN Mission in South Sudan (UNMISS)",
            ["UN", "UNMISS"],
        ),
        (at.COUNTRIES, "The US has been a leader, and the UK", ["US", "UK"]),
        # a company by its legal form or business word; a military "Company" or a body is none
        (
            at.COMPANY,
            "built by Palantir Technologies and Acme Ltd. for the CIMIC Company of NATO",
            ["Palantir Technologies", "Acme Ltd."],
        ),
        (at.COMPANY, "the CIMIC Centre of Excellence and UN OCHA", []),
        # an NGO by a word only such bodies use, or introduced as one; NATO or UN OCHA is none
        (
            at.NGO,
            "the International Red Cross and Red Crescent Movement (ICRC); NGOs such as Oxfam",
            ["International Red Cross and Red Crescent Movement", "NGOs such as Oxfam"],
        ),
        (at.NGO, "NATO, UN OCHA and the IMS Office of the Gender Advisor", []),
        # an effect says why something matters
        (at.REASON, "These findings shaped operational decisions", ["shaped"]),
        (at.REASON, "The session was held on 12 June 2025 in Brussels.", []),
    ],
)
def test_answer_type_instances(kind, text, found):
    spans = [text[s:e] for s, e in at.instances(kind, text)]
    if found is None:
        assert spans
    else:
        assert [s.strip() for s in spans] == found or (not found and not spans)


def test_counts_name_what_they_count():
    assert at.counted_words("How many gender advisors does NATO employ?") == ("gender", "advisors")
    assert at.head_word("What are the phases of the planning process?") == "phases"
    assert at.head_word("What salary does an advisor earn?") == "salary"
    # "kinds of X" asks for X: the form noun is no head to find beside the answer
    assert at.head_word("List the kinds of non-military actors the handbook names.") is None
    assert at.head_word("What types of exercise are there?") is None


def test_an_instance_the_question_already_states_is_not_an_answer():
    text = "The Chief of the Office represents the IMS in Committees."
    spans = at.instances(at.PERSON, text)
    from cimic.lexical import terms

    known = frozenset(terms("Who is the current Chief of the Office?"))
    assert spans and not [
        text[s:e] for s, e in at.novel(spans, text, known) if "Chief" in text[s:e]
    ]


def _evidence(**kw) -> Evidence:
    base = dict(dense=0.6, coverage=0.7, focus=0.9, focus_min=0.8, head=1.0, type_missing=0.0)
    base.update(form_missing=0.0, subject_missing=0.0)
    base.update(kw)
    return Evidence(**base)


def test_model_round_trips_and_the_shipped_one_is_fitted():
    model = AbstentionModel.load()
    assert model.features == FEATURES and "tuning half" in model.fitted_on
    assert AbstentionModel.from_dict(json.loads(json.dumps(model.to_dict()))) == model
    for f, c in zip(model.features, model.coef, strict=True):
        assert c * SIGNS[f] >= 0, f"{f} has a weight against its meaning"
    assert not AbstentionModel.never().abstains(
        _evidence(dense=0.0, coverage=0.0, type_missing=1.0)
    )


def test_shipped_model_abstains_on_missing_type_and_answers_clear_evidence():
    model = AbstentionModel.load()
    assert not model.abstains(_evidence())
    assert model.abstains(
        _evidence(type_missing=1.0, missing_types=(at.MONEY,), topic="gender advisor")
    )
    assert model.abstains(_evidence(dense=0.08, coverage=0.1))


def test_explanations_say_what_is_missing():
    model = AbstentionModel.load()
    ev = _evidence(type_missing=1.0, missing_types=(at.DATE,), topic="Joint Cooperation Exercise")
    assert (
        explain(ev, model)
        == "The documents mention Joint Cooperation Exercise but give no date for it."
    )
    ev = _evidence(focus=0.3, focus_min=0.1, missing_word="salary", topic="gender advisor")
    assert "“salary”" in explain(ev, model)
    # "Who heads it today?": the present is in "who holds it now", not a missing date besides.
    ev = _evidence(
        type_missing=1.0, missing_types=(at.DATE, at.NAMED), topic="the CIMIC Centre of Excellence"
    )
    assert explain(ev, model) == (
        "The documents mention the CIMIC Centre of Excellence but do not name who holds it now."
    )
    # "What is X?": the term by name, and whether the passages name it at all.
    ev = _evidence(subject_missing=1.0, term="Female Engagement Team")
    assert explain(ev, model) == "The documents neither define nor name “Female Engagement Team”."
    ev = _evidence(subject_missing=0.5, term="exercise")
    assert explain(ev, model) == "The documents mention “exercise” but do not say what it is."
    # A year the question names and the passages never state.
    ev = _evidence(year_missing=1.0, missing_year="2020", topic="the NCGP conference")
    assert (
        explain(ev, model) == "The documents mention the NCGP conference but say nothing of 2020."
    )
    # Far below the floor in meaning, the floor is the reason ("mention make" was no reason).
    ev = _evidence(dense=0.1, coverage=0.3, missing_word="starter", topic="make")
    assert explain(ev, model) == "The documents hold nothing close to this question in meaning."


def test_threshold_keeps_the_false_abstention_budget():
    p = np.linspace(0.01, 1.0, 100)
    t = choose_threshold(p, budget=0.03)
    assert (p < t).sum() <= 3


def test_fit_recovers_signs_on_separable_data():
    rng = np.random.default_rng(0)
    n = 200
    y = np.array([1] * 140 + [0] * 60)
    X = rng.normal(size=(n, len(FEATURES)))
    X[:, FEATURES.index("type_missing")] = (y == 0) * (rng.random(n) < 0.8)
    model = fit_abstention(X, y, "synthetic", budget=0.03)
    assert model.coef[FEATURES.index("type_missing")] < 0
    assert all(c * SIGNS[f] >= 0 for f, c in zip(FEATURES, model.coef, strict=True))


def test_split_is_fixed_by_the_id():
    assert split_of("oos-001") == split_of("oos-001")
    halves = Counter(split_of(f"q-{i}") for i in range(1000))
    assert 400 < halves[TUNING] < 600 and halves[TUNING] + halves[HELD_OUT] == 1000


def test_evaluation_set_has_what_the_issue_asks_and_its_evidence_is_verbatim():
    items = [json.loads(line) for line in QUESTIONS.read_text(encoding="utf-8").splitlines()]
    kinds = Counter(i["kind"] for i in items)
    assert len(items) >= 300 and kinds["out_of_scope"] >= 80 and kinds["paraphrase"] >= 80
    assert kinds["follow_up"] >= 30 and kinds["list"] and kinds["verbose"] and kinds["misspelt"]
    assert len({i["id"] for i in items}) == len(items)
    types = Counter(i.get("answer_type") for i in items if i["kind"] == "out_of_scope")
    assert all(types[t] >= 5 for t in ("count", "money", "date", "person", "place", "list"))
    if not SEEDS.is_dir():
        pytest.skip("../shared/seeds is not beside the checkout")
    fold = lambda t: re.sub(r"\s+", " ", t).strip()  # noqa: E731
    texts = {p.name: fold(p.read_text(encoding="utf-8")) for p in SEEDS.iterdir()}
    fresh = [
        json.loads(line)
        for path in CHECK_SETS
        for line in path.read_text(encoding="utf-8").splitlines()
    ]
    assert len(CHECK_SETS) >= 5
    assert not {i["id"] for i in fresh} & {i["id"] for i in items}
    assert len({i["id"] for i in fresh}) == len(fresh)
    for item in items + fresh:
        for e in item["evidence"]:
            assert fold(e["text"]) in texts[e["doc"]], item["id"]


def test_a_sentence_that_says_what_a_term_is_defines_it_wherever_it_stands():
    from cimic.abstention import describes
    from cimic.lexical import terms

    text = "Some nations go further. They state that military doctrine is a formal expression."
    assert describes(text, [tuple(terms("military doctrine"))])
    bisc = (
        "The Bilateral Strategic Command – or Bi-SC – concept within NATO represents a commitment."
    )
    assert describes(bisc, [tuple(terms("Bi-SC concept"))])
    # Named but not described: the term is only mentioned.
    assert not describes("Deploy a gender focal point to each unit.", [tuple(terms("focal point"))])


def test_a_question_ending_in_a_preposition_asks_no_definition():
    from cimic.questions import defined_term

    assert defined_term("What is the Civil-Military Engagement Group in charge of?") is None
    assert defined_term("What is the Bi-SC concept?") == "Bi-SC concept"


@pytest.mark.parametrize(
    ("question", "verb"),
    [
        ("Who chairs the NATO Committee on Gender Perspectives?", "chairs"),
        ("Why was the 2004 policy criticised?", "criticised"),
        ("How do I apply for a job as a gender advisor?", "apply"),
        ("How can my unit register for the exercise?", "register"),
        # A subject of several words: the verb is its first lower-case word after them.
        ("How can a NATO Partner Nation apply for gender training?", "apply"),
        ("How can a civilian NGO apply to take part?", "apply"),
        ("How can the Alliance respond to disinformation?", "respond"),
        ("When was the first gender advisor appointed?", "appointed"),
        # After a named subject: the first word, an adverb skipped; not after a possessive.
        ("Why did Sweden create the centre?", "create"),
        ("Where did Lt Col Verbanck study?", "study"),
        ("When did the Alliance first adopt a policy?", "adopt"),
        ("When did the Centre of Excellence for Climate open?", "open"),
        ("In which year did the UN Mission in South Sudan begin?", "begin"),
        ("In what year did NATO first appoint a gender advisor?", "appoint"),
        ("In which city did NATO adopt its policy?", "adopt"),
        # "of", "on" … join a name only to more of it: "on cultural property" is no part of it
        ("When did the Centre of Excellence open?", "open"),
        ("When did the Hague Convention on cultural property enter into force?", None),
        ("Why did NATO's policy change?", None),
        # Verbs of the question's form are not what it asks about.
        ("How is human security defined?", None),
        ("Where is the centre located?", None),
        ("Where does the Joint Cooperation Exercise sit?", None),
        ("Who is the Chief of the office?", None),
        # Yes/no: after do or a modal the verb is bare; a plural or a function word is not it.
        ("Does NATO pay gender advisors extra for deployments?", "pay"),
        ("Do the member states belong to the UN agreement?", "belong"),
        ("Does the NATO Committee on Gender Perspectives meet every month?", "meet"),
        ("Can civilians attend the Deep-Dive sessions?", "attend"),
        ("Can you tell me what the CIMIC Map says?", None),
        # A phrasal verb means what its word alone does not ("wrapped up" = closed).
        ("Who wrapped up the Deep-Dive session?", None),
        ("How can a country bounce back after a disaster?", None),
        # A light verb says little; its object says what is asked ("take a stance").
        ("When did the Alliance first take a stance against trafficking?", None),
        ("Who gave their backing to the policy?", None),
        ("When did NATO hold its first Deep-Dive?", None),  # "hold a session"
        ("Who currently chairs the executive committee?", "chairs"),  # not "currently"
        # a subject question's verb: before the object's determiner or name
        ("Which agency funds the Nordic Centre?", "funds"),
        ("Which Allies opposed the term Domestic CIMIC?", "opposed"),
        ("Which nation's officer chairs the ACO CIMIC Working Group?", "chairs"),
        ("Which documents are listed on the page?", None),
        ("What manual explains how the role is applied?", None),
        ("How to enrol in the course?", "enrol"),
        ("What is civil preparedness?", None),
        # yes/no in the passive or perfect: the participle; a verb of the form is none
        ("Was MC 411 criticised by any Ally?", "criticised"),
        ("Has the policy ever been revised?", "revised"),
        ("Is the office located in Brussels?", None),
        # a word ending in -en or -ed that is no verb is no participle; a name is none either
        ("Were women in the camps more exposed to violence?", "exposed"),
        ("How are children impacted by armed conflict?", "impacted"),
        ("Where is the headquarters of UN Women?", None),
        ("Is Allied Command Operations responsible for planning?", None),
        # "Why was X written?" asks what X is for; with an agent, the agent's motive
        ("Why was the NATO Military Policy on CIMIC written?", None),
        ("Why did Sweden create the centre?", "create"),
    ],
)
def test_the_verb_a_question_asks_about(question, verb):
    assert at.predicate(question) == verb


def test_a_name_glossed_by_a_short_form_defines_it_unless_the_question_gives_that_name():
    from cimic.abstention import describes
    from cimic.lexical import terms

    text = "the revision of the NATO Policy for Civil-Military Cooperation (MC 411), with a focus"
    assert describes(text, [tuple(terms("MC 411"))])
    cmoc = "run by a Civil-Military Operations Centre (CMOC) in theatre"
    asked = frozenset(terms("What is a Civil-Military Operations Centre (CMOC)?"))
    assert not describes(cmoc, [tuple(terms("CMOC"))], asked)


def test_a_short_form_after_the_words_it_abbreviates_says_what_it_is():
    """ "What does SGBV stand for?": "sexual and gender-based violence (SGBV)" answers it, in lower
    case as well, even where the corpus's acronym table already knows the pair."""
    from cimic.abstention import describes
    from cimic.lexical import terms

    text = "CIMIC teams found that women faced higher sexual and gender-based violence (SGBV) risks"
    assert describes(text, [tuple(terms("SGBV"))], frozenset(terms("What does SGBV stand for?")))
    # not when the question gives the long form itself
    asked = frozenset(terms("What is sexual and gender-based violence (SGBV)?"))
    assert not describes(text, [tuple(terms("SGBV"))], asked)
    # letters the words before do not spell are no long form
    assert not describes("a risk of violence (SGBV) in camps", [tuple(terms("SGBV"))])


def test_an_office_holder_is_named_beside_the_title_asked():
    assert at.holder_title("Who is the current Commandant of the CIMIC Centre of Excellence?") == (
        "commandant"
    )
    assert at.holder_title("Who is the Director General of the IMS?") == "general"
    assert at.holder_title("Who took part in the session?") is None
    text = "featured Major Linda Rullens, Staff Officer at the Centre; Ms Gassauer, Policy Lead."
    start = text.index("Major")
    assert at.clause(text, start, start + 11) == (
        "featured Major Linda Rullens, Staff Officer at the Centre"
    )


def test_an_answer_stated_of_another_year_answers_nothing_of_the_year_asked():
    from cimic.abstention import _of_year

    text = (
        "NATO's first Policy on Combatting Trafficking in Human Beings in 2004 committed to it. "
        "At the 2023 Vilnius Summit, NATO endorsed an updated policy. It meets in Mons."
    )
    vilnius = (text.index("Vilnius"), text.index("Vilnius") + 7)
    mons = (text.index("Mons"), text.index("Mons") + 4)
    assert not _of_year(text, vilnius, frozenset({"2004"}))
    assert _of_year(text, vilnius, frozenset({"2023"}))
    assert _of_year(text, mons, frozenset({"2004"}))  # a sentence with no year says nothing else


def test_a_question_names_several_words_as_one_name():
    from cimic.abstention import _question_names

    assert _question_names("Where are the Joint Force Commands located?") == [
        ["joint force commands", "force commands"]
    ]
    assert _question_names("Who is the current Commandant of the CIMIC Centre of Excellence?") == [
        [
            "commandant of the cimic centre of excellence",
            "cimic centre of excellence",
            "centre of excellence",
        ]
    ]
    assert _question_names("When did the Alliance first adopt a policy?") == []


def test_what_else_says_what_a_term_is():
    from cimic.abstention import describes
    from cimic.lexical import terms

    # "Term: definition", an apposition naming an office, a shorter name after the full one.
    assert describes(
        "Cyber Operation: “Actions in or through cyberspace”", [tuple(terms("Cyber Operation"))]
    )
    nicholas = "with Commander Tyson Nicholas, Strategic Military Advisor to UN Women, New York."
    assert describes(nicholas, [tuple(terms("Commander Tyson Nicholas"))])
    handbook = "We developed the Digital CIMIC Handbook. Today the CIMIC Handbook is your resource."
    assert describes(handbook, [tuple(terms("Digital CIMIC Handbook"))])
    # ... also when the full name is the passage's heading.
    body = "In collaboration with the community we built it. The CIMIC Handbook is your resource."
    alias = [tuple(terms("Digital CIMIC Handbook"))]
    assert not describes(body, alias)
    assert describes(body, alias, heading="Stay Ahead with the Digital CIMIC Handbook")
    # A sentence introducing a name says what it names.
    domestic = "We have proposed the term Domestic CIMIC to define civil factor integration."
    assert describes(domestic, [tuple(terms("Domestic CIMIC"))])
    assert describes("a force known as the Joint Team.", [tuple(terms("Joint Team"))])
    # An example names its kind: the JOCO is an exercise to practise CIMIC.
    joco = "There are several exercises to practice CIMIC, such as the Joint Cooperation Exercise."
    assert describes(joco, [tuple(terms("Joint Cooperation Exercise"))])
    assert not describes(
        "Exercises and the Joint Cooperation Exercise.",
        [tuple(terms("Joint Cooperation Exercise"))],
    )
    # A list is no apposition; a bare mention is no description.
    assert not describes("UN Women, the Red Cross and others met.", [tuple(terms("UN Women"))])


def test_definition_questions_read_their_term():
    from cimic.questions import defined_term
    from cimic.retrieval import term_aliases
    from cimic.vocabulary import Vocabulary

    assert defined_term("What is the difference between UN-CMCoord and UN-CIMIC?") is None
    vocab = Vocabulary(word_counts={"definition": 3, "gender": 5, "perspective": 4, "exercise": 2})
    assert ("exerc",) in term_aliases("exercise in NATO terms", vocab)
    assert ("gender", "perspect") in term_aliases("defintion of gender perspectiv", vocab)
    # An acronym inside a longer term is read in place: a CIMIC liaison officer is not CIMIC.
    vocab = Vocabulary(acronyms={"CIMIC": "Civil-military Cooperation"}, word_counts={"cimic": 3})
    aliases = term_aliases("CIMIC liaison officer", vocab)
    assert ("civil", "militari", "cooper", "liaison", "offic") in aliases
    assert ("civil", "militari", "cooper") not in aliases
    assert ("cimic", "center") in term_aliases("Civil-military Cooperation centre", vocab)
    # An acronym the corpus lacks is a name, not a misspelling of a corpus word ("OPLAN" -> "plan").
    vocab = Vocabulary(word_counts={"plan": 9, "requirements": 3})
    assert term_aliases("OPLAN", vocab) == [("oplan",)]
    assert ("requir",) in term_aliases("requirments", vocab)
    assert "plan" not in vocab.expand("What does OPLAN stand for?")


def test_what_a_question_asks_for_leaves_out_its_form_words():
    from cimic.questions import read_question
    from cimic.retrieval import defines
    from cimic.types import Chunk

    q = read_question("Which countries' deployments were used as examples in the session?")
    assert "were" not in q.focus and "used" in q.focus
    q = read_question("Who arranges the meetings of the committee and its executive?")
    assert "its" not in q.focus and "executive" in q.focus
    assert read_question("What is the definition of gender equality?").head is None
    assert read_question("What are the phases of the exercise?").head == "phases"
    # A glossary entry without a label line opens with its term in capitals.
    text = "Gender Equality supports women’s meaningful participation in peace processes."
    entry = Chunk("g.txt", 0, len(text), text, "Gender Equality supports women’s …", "glossary")
    assert defines(entry, [("gender", "equal")])
    assert not defines(entry, [("gender",)])


def test_a_question_asking_for_a_document_and_what_names_one():
    assert at.DOCUMENT in at.expected_types("Which manual explains CIMIC in a deployed HQ?")
    assert at.DOCUMENT not in at.expected_types("What are the goals of CIMIC?")
    text = "Allied Joint Doctrine for Civil-Military Cooperation provides commanders (AJP-3.19)."
    found = [text[s:e] for s, e in at.instances(at.DOCUMENT, text)]
    assert "Allied Joint Doctrine" in found[0] and any(f.startswith("AJP-3.19") for f in found)
    assert not at.instances(at.DOCUMENT, "Commanders plan operations with civilians.")


def test_the_topic_of_an_explanation_is_no_participle():
    """ "… have appointed a focal point" mentions the focal point, not "appointed a …"; a subject
    after "have" stays ("have NATO Allies adopted")."""
    from cimic.abstention import _topic

    covered = {"appointed", "national", "gender", "focal", "point", "nato", "allies", "adopted"}
    q = "Which countries have appointed a national gender focal point?"
    assert _topic(q, covered) == "a national gender focal point"
    q = "How many plans have NATO Allies adopted?"
    assert _topic(q, covered) == "NATO Allies adopted"


def test_the_topic_of_an_explanation_is_no_form_noun_nor_a_cut_name():
    """ "What share of CIMIC staff …" mentions CIMIC staff, not "share of"; a name the passages
    cover only in part keeps no article ("mention NATO", not "mention the NATO")."""
    from cimic.abstention import _topic

    covered = {"share", "of", "cimic", "staff", "nato", "deep-dive", "session"}
    assert _topic("What share of CIMIC staff are female?", covered) == "CIMIC staff"
    assert _topic("Who is the current NATO Secretary General?", covered) == "NATO"
    assert _topic("How long is the CIMIC Field Worker course?", covered) == "CIMIC"
    q = "Where will the next Deep-Dive session be held?"
    assert _topic(q, covered) == "the Deep-Dive session"


def test_a_missing_date_for_who_holds_an_office_now_is_said_as_such():
    model = AbstentionModel.load()
    ev = _evidence(
        type_missing=1.0,
        missing_types=(at.DATE,),
        topic="NATO",
        question="Who is the current NATO Secretary General?",
        asks_holder=True,
    )
    assert explain(ev, model) == "The documents mention NATO but do not name who holds it now."
    ev = _evidence(
        type_missing=1.0,
        missing_types=(at.NAMED,),
        topic="the NATO gender advisor",
        question="Who was the first NATO gender advisor?",
        asks_holder=True,
    )
    assert (
        explain(ev, model)
        == "The documents mention the NATO gender advisor but do not name who held it."
    )
    ev = _evidence(
        type_missing=1.0,
        missing_types=(at.FREQUENCY,),
        topic="the NATO Committee on Gender Perspectives",
        question="How often does the NATO Committee on Gender Perspectives meet?",
    )
    assert explain(ev, model) == (
        "The documents mention the NATO Committee on Gender Perspectives but give no frequency "
        "for it."
    )


def test_the_topic_of_a_follow_up_has_no_stray_bracket():
    """A rewritten follow-up carries its topic in brackets; the explanation names it without them,
    and a short form in brackets stays paired."""
    from cimic.abstention import _topic, _unbracketed

    covered = {
        "deep-dive",
        "session",
        "gender",
        "cimic",
        "joint",
        "cooperation",
        "exercise",
        "joco",
    }
    q = "When is the next one? (Deep-Dive session on gender in CIMIC)"
    assert _topic(q, covered) == "Deep-Dive session on gender in CIMIC"
    q = "When is the Joint Cooperation Exercise (JOCO) held?"
    assert _topic(q, covered) == "the Joint Cooperation Exercise (JOCO)"
    # the question's own words and the bracketed topic are two runs, not one across the "?"
    q = "And whom does it give guidance to? (Joint Cooperation Exercise)"
    assert _topic(q, covered | {"guidance"}) == "Joint Cooperation Exercise"
    assert _unbracketed("(IMS Office of the Gender Advisor") == "IMS Office of the Gender Advisor"
    assert _unbracketed("(Cooperation (CIMIC))") == "Cooperation (CIMIC)"
    assert _unbracketed("(CIMIC) Centre (CCOE)") == "(CIMIC) Centre (CCOE)"


def test_who_holds_an_office_now_is_no_definition_question():
    from cimic.questions import read_question

    for q in (
        "Who is the current SACEUR?",
        "Who is the Supreme Allied Commander Europe at present?",
    ):
        read = read_question(q)
        assert read.term is None and read.types == {at.NAMED, at.DATE}, q
    assert read_question("Who is Major Linda Rullens?").term == "Major Linda Rullens"


def test_a_long_name_is_named_only_as_the_phrase_it_is():
    from cimic.abstention import _holds_phrase, _is_name

    assert _is_name("Comprehensive Approach Action Plan")
    assert _is_name("NATO Policy for the Protection of Civilians")
    assert not _is_name("civil preparedness within NATO")  # a description, worded freely
    assert not _is_name("Cyber Operation according to NATO")
    seq = ("comprehens", "approach", "is", "an", "action", "plan")
    assert not _holds_phrase(seq, ("comprehens", "approach", "action", "plan"))
    assert _holds_phrase(seq, ("action", "plan"))


def test_the_floor_is_not_dragged_down_by_one_odd_answerable_question():
    """The cosine floor sits a quarter below the answerable questions' best cosines at their 1st
    percentile: one four-word question at 0.24 among hundreds above 0.33 does not lower it."""
    from cimic.evaluation import Outcome
    from cimic.fitting import fit_outcomes

    rng = np.random.default_rng(1)

    def outcome(i: int, answerable: bool, dense: float) -> Outcome:
        ev = _evidence(dense=dense, coverage=dense, type_missing=0.0 if answerable else 1.0)
        kind = "lexical" if answerable else "out_of_scope"
        return Outcome(f"q{i}", kind, "q", "q", 1 if answerable else None, None, TUNING, ev)

    outcomes = [outcome(i, True, float(d)) for i, d in enumerate(rng.uniform(0.33, 0.9, 200))]
    outcomes += [
        outcome(200 + i, False, float(d)) for i, d in enumerate(rng.uniform(0.05, 0.6, 80))
    ]
    alone = fit_outcomes(outcomes).floor
    assert 0.24 < alone < 0.26
    odd = fit_outcomes(outcomes + [outcome(999, True, 0.24)]).floor
    assert abs(odd - alone) < 0.005  # not 0.75 x 0.24 = 0.18


@pytest.mark.parametrize(
    ("query", "form"),
    [
        # a request reads as the question it asks
        ("Tell me which NGOs the unit worked with.", "Which NGOs the unit worked with?"),
        ("Explain societal resilience.", "What is societal resilience?"),
        ("Could you please describe the Bi-SC concept?", "What is the Bi-SC concept?"),
        ("Tell me about the CIMIC Handbook", "What is the CIMIC Handbook?"),
        ("Give me the phone number of the office.", "What is the phone number of the office?"),
        ("Explain why NATO cancelled the conference.", "Why NATO cancelled the conference?"),
        # "the responsibilities of X" is no definition of X, and no value asked for either
        ("Describe the responsibilities of ACO.", "Describe the responsibilities of ACO."),
        ("Give me the list of non-military actors.", "Give me the list of non-military actors."),
        # a search-box query whose last word names the kind of answer
        ("gender advisor salary", "What is the salary of the gender advisor?"),
        ("CIMIC course location", "What is the location of the CIMIC course?"),
        ("CCOE director name", "What is the name of the CCOE director?"),
        # ... and others, read as they stand
        ("NCGP secretariat", "NCGP secretariat"),
        ("civil preparedness baseline requirements", "civil preparedness baseline requirements"),
        ("What is the course length?", "What is the course length?"),
        ("List the five areas of human security.", "List the five areas of human security."),
        ("and its date?", "and its date?"),
        # a greeting or a preface asks nothing; "I need …", "Do you know …" are requests
        ("Hi, can you tell me who heads the centre today?", "Who heads the centre today?"),
        ("Quick question: how many people work there?", "how many people work there?"),
        ("I would like to know the budget of the Ci-MEG.", "What is the budget of the Ci-MEG?"),
        ("I'm looking for the location of the course", "What is the location of the course?"),
        ("Do you know who chairs the NCGP?", "Who chairs the NCGP?"),
        ("Highlights of the session?", "Highlights of the session?"),
        # a question word contracted with "is"
        ("What's CIMIC?", "What is CIMIC?"),
        ("whats the salary of a gender advisor", "what is the salary of a gender advisor"),
        ("Who’s the current SACEUR?", "Who is the current SACEUR?"),
        # "Name / List the X that …" asks which X
        (
            "Name the countries that have appointed a focal point.",
            "Which countries have appointed a focal point?",
        ),
    ],
)
def test_a_request_or_a_search_box_query_reads_as_the_question_it_asks(query, form):
    from cimic.questions import as_question

    assert as_question(query) == form


def test_a_request_or_a_search_box_query_asks_for_its_kind_of_answer():
    from cimic.questions import defined_term, read_question

    assert read_question("gender advisor salary").types == {at.MONEY}
    assert read_question("next Deep-Dive session date").types == {at.FUTURE_DATE}
    assert at.NAMED in read_question("CCOE director name").types
    assert read_question("Give me the phone number of the office.").types >= {at.CONTACT}
    assert read_question("Explain why NATO cancelled the conference.").types == {at.REASON}
    assert read_question("Explain societal resilience.").term == "societal resilience"
    # the words searched stay the user's
    assert read_question("gender advisor salary").text == "gender advisor salary"
    # "What is the salary / date / location of X?" asks for a value of X, not what X is
    assert defined_term("What is the date of the next session?") is None
    assert defined_term("What is the location of SHAPE?") is None
    assert defined_term("What is the purpose of CIMIC?") == "purpose of CIMIC"


def test_the_years_a_text_names():
    assert at.years("at its 2020 conference, after the 1954 Convention (2011)") == [
        "2020",
        "1954",
        "2011",
    ]
    # a number that names, or a range, is no year
    assert at.years("AJP-2019, Directive 40-1, pp. 2021-22, 1325, 12 000, 2020.5") == []
    # a year that ends a sentence is one
    assert at.years("List the reports submitted in 2020.") == ["2020"]


def test_who_holds_a_role_of_something_is_no_definition_question():
    """ "Who is the point of contact for X?" asks for a person; "Who is Lt Col Verbanck?" and
    "Who are the non-military actors?" ask what a name means."""
    from cimic.questions import defined_term, read_question

    assert defined_term("Who is the point of contact for MC 411?") is None
    assert defined_term("Who is the main author of MC 411?") is None
    assert defined_term("Who is Lt Col Verbanck?") == "Lt Col Verbanck"
    assert defined_term("Who are the non-military actors?") == "non-military actors"
    assert read_question("Who was the main author of MC 411?").head == "author"
    assert at.INDIVIDUAL in read_question("Who is the main author of MC 411?").types


def test_a_sentence_speaks_of_the_future():
    assert at.speaks_of_future("The next session will be held in Rome.")
    assert at.speaks_of_future("A conference is scheduled for May.")
    assert not at.speaks_of_future("The session was held in Rome in 2019.")


def test_a_restatement_grouped_under_a_shown_passage_answers_with_it():
    """The evaluation counts the evidence where the answer shows it: in the passage, or in a
    restatement the passage stands for (cited as "also in"); elsewhere it is no answer."""
    from cimic.evaluation import answering_rank
    from cimic.types import Answer, Passage

    shown = Passage(
        "The joint function framework assists commanders in integrating political actions.",
        "g.txt", "Glossary", None, None, 100, 180, 0.9, also_in=[("g.txt", 10, 60)],
    )  # fmt: skip
    other = Passage(
        "Hybrid threats undermine a target.", "g.txt", "Glossary", None, None, 0, 9, 0.5
    )
    answer = Answer("q", "q", [other, shown], False, "")
    evidence = [{"doc": "g.txt", "text": "The joint functions framework assists commanders"}]
    restated = {("g.txt", 10, 60): "The joint functions framework assists commanders to act."}
    assert answering_rank(answer, evidence, {}, restated) == 2
    assert answering_rank(answer, evidence, {}) is None
    assert (
        answering_rank(answer, evidence, {}, {("g.txt", 10, 61): restated[("g.txt", 10, 60)]})
        is None
    )
