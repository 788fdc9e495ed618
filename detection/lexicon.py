"""Word lists the quote and sourcing rules share: reporting verbs with their tenses, source nouns."""
from __future__ import annotations

import re
from collections.abc import Iterable

# Verbs of saying and showing, as (base, -s, past, -ing[, past participle]). Only these forms are cues;
# the lemma table keeps tenses together so a new verb is one line.
SPEECH_VERBS: tuple[tuple[str, ...], ...] = (
    ("say", "says", "said", "saying"),
    ("tell", "tells", "told", "telling"),
    ("add", "adds", "added", "adding"),
    ("warn", "warns", "warned", "warning"),
    ("claim", "claims", "claimed", "claiming"),
    ("admit", "admits", "admitted", "admitting"),
    ("note", "notes", "noted", "noting"),
    ("argue", "argues", "argued", "arguing"),
    ("insist", "insists", "insisted", "insisting"),
    ("write", "writes", "wrote", "writing", "written"),
    ("tweet", "tweets", "tweeted", "tweeting"),
    ("announce", "announces", "announced", "announcing"),
    ("confirm", "confirms", "confirmed", "confirming"),
    ("deny", "denies", "denied", "denying"),
    ("report", "reports", "reported", "reporting"),
    ("explain", "explains", "explained", "explaining"),
    ("state", "states", "stated", "stating"),
    ("declare", "declares", "declared", "declaring"),
    ("acknowledge", "acknowledges", "acknowledged", "acknowledging"),
    ("assert", "asserts", "asserted", "asserting"),
    ("allege", "alleges", "alleged", "alleging"),
    ("concede", "concedes", "conceded", "conceding"),
    ("contend", "contends", "contended", "contending"),
    ("disclose", "discloses", "disclosed", "disclosing"),
    ("emphasize", "emphasizes", "emphasized", "emphasizing"),
    ("emphasise", "emphasises", "emphasised", "emphasising"),
    ("stress", "stresses", "stressed", "stressing"),
    ("recall", "recalls", "recalled", "recalling"),
    ("reply", "replies", "replied", "replying"),
    ("respond", "responds", "responded", "responding"),
    ("ask", "asks", "asked", "asking"),
    ("urge", "urges", "urged", "urging"),
    ("vow", "vows", "vowed", "vowing"),
    ("pledge", "pledges", "pledged", "pledging"),
    ("promise", "promises", "promised", "promising"),
    ("predict", "predicts", "predicted", "predicting"),
    ("estimate", "estimates", "estimated", "estimating"),
    ("testify", "testifies", "testified", "testifying"),
    ("mention", "mentions", "mentioned", "mentioning"),
    ("observe", "observes", "observed", "observing"),
    ("remark", "remarks", "remarked", "remarking"),
    ("comment", "comments", "commented", "commenting"),
    ("complain", "complains", "complained", "complaining"),
    ("suggest", "suggests", "suggested", "suggesting"),
    ("reveal", "reveals", "revealed", "revealing"),
    ("conclude", "concludes", "concluded", "concluding"),
    ("agree", "agrees", "agreed", "agreeing"),
    ("caution", "cautions", "cautioned", "cautioning"),
    ("accuse", "accuses", "accused", "accusing"),
    ("criticize", "criticizes", "criticized", "criticizing"),
    ("criticise", "criticises", "criticised", "criticising"),
    ("blast", "blasts", "blasted", "blasting"),
    ("slam", "slams", "slammed", "slamming"),
    ("praise", "praises", "praised", "praising"),
    ("describe", "describes", "described", "describing"),
    ("call", "calls", "called", "calling"),
    ("cite", "cites", "cited", "citing"),
    ("yell", "yells", "yelled", "yelling"),
    ("shout", "shouts", "shouted", "shouting"),
    ("joke", "jokes", "joked", "joking"),
    ("quip", "quips", "quipped", "quipping"),
    ("boast", "boasts", "boasted", "boasting"),
    ("brag", "brags", "bragged", "bragging"),
    ("lament", "laments", "lamented", "lamenting"),
    ("counter", "counters", "countered", "countering"),
    ("retort", "retorts", "retorted", "retorting"),
    ("continue", "continues", "continued", "continuing"),
    ("question", "questions", "questioned", "questioning"),
    ("demand", "demands", "demanded", "demanding"),
    ("threaten", "threatens", "threatened", "threatening"),
    ("recount", "recounts", "recounted", "recounting"),
    ("speak", "speaks", "spoke", "speaking", "spoken"),
    ("talk", "talks", "talked", "talking"),
    ("post", "posts", "posted", "posting"),
    ("indicate", "indicates", "indicated", "indicating"),
    ("point", "points", "pointed", "pointing"),
    ("blame", "blames", "blamed", "blaming"),
    ("dismiss", "dismisses", "dismissed", "dismissing"),
    ("maintain", "maintains", "maintained", "maintaining"),
    ("attack", "attacks", "attacked", "attacking"),
    ("condemn", "condemns", "condemned", "condemning"),
    ("denounce", "denounces", "denounced", "denouncing"),
    ("decry", "decries", "decried", "decrying"),
    ("laud", "lauds", "lauded", "lauding"),
    ("hail", "hails", "hailed", "hailing"),
    ("brand", "brands", "branded", "branding"),
    ("label", "labels", "labeled", "labeling", "labelled", "labelling"),
    ("dub", "dubs", "dubbed", "dubbing"),
    ("liken", "likens", "likened", "likening"),
    ("compare", "compares", "compared", "comparing"),
    ("characterize", "characterizes", "characterized", "characterizing"),
    ("characterise", "characterises", "characterised", "characterising"),
    ("chant", "chants", "chanted", "chanting"),
    ("scold", "scolds", "scolded", "scolding"),
    ("rule", "rules", "ruled", "ruling"),
)

# Verbs that attribute only when a document, survey or finding body is the subject ("a poll shows").
EVIDENCE_VERBS: tuple[tuple[str, ...], ...] = (
    ("learn", "learns", "learned", "learning", "learnt"),
    # "The BBC understands that …": a newsroom's own unnamed sourcing, credited to the newsroom.
    ("understand", "understands", "understood", "understanding"),
    ("show", "shows", "showed", "showing", "shown"),
    ("find", "finds", "found", "finding"),
    ("put", "puts", "put", "putting"),
    ("conclude", "concludes", "concluded", "concluding"),
    ("suggest", "suggests", "suggested", "suggesting"),
    ("indicate", "indicates", "indicated", "indicating"),
    ("estimate", "estimates", "estimated", "estimating"),
    ("read", "reads", "read", "reading"),
    # "the court heard", "the inquest heard": evidence given in a hearing ("a court hearing" is a noun).
    ("hear", "hears", "heard"),
)

# Verbs of belief and expectation: a cue only for an unspecified group ("many experts expected").
BELIEF_VERBS: tuple[tuple[str, ...], ...] = (
    ("expect", "expects", "expected", "expecting"),
    ("predict", "predicts", "predicted", "predicting"),
    ("forecast", "forecasts", "forecast", "forecasting", "forecasted"),
    ("believe", "believes", "believed", "believing"),
    ("fear", "fears", "feared", "fearing"),
    ("think", "thinks", "thought", "thinking"),
    ("worry", "worries", "worried", "worrying"),
    ("doubt", "doubts", "doubted", "doubting"),
)

# Verbs that need a particle to attribute ("pointed out", "called for"), and verbs too common alone.
PARTICLE_CUES: dict[str, tuple[str, ...]] = {
    "compare": ("to", "with"),
    "rule": ("that",),
    "point": ("out", "to"),
    "speak": ("to", "with", "of", "about", "out"),
    "talk": ("to", "with", "about"),
    "continue": (":",),
    "post": ("on",),
}
# "-s" forms that are more often plural nouns ("swing states", "his comments"): verbs only after a name or
# pronoun, or before "that", a colon, a comma or a quote.
NOUN_LIKE = frozenset((
    "states", "claims", "comments", "tweets", "questions", "calls", "remarks", "demands", "estimates",
    "reports", "notes", "promises", "threats", "warnings", "posts", "talks", "points", "quips", "boasts",
    "jokes", "laments", "shouts", "yells", "praises", "slams", "blasts", "vows", "pledges", "counters",
    "retorts", "denies", "responds", "replies", "cites", "urges", "reveals", "findings", "suggests",
))
# Capitalised words that are adjectives of a group, not names ("Republican claims").
GROUP_ADJECTIVES = frozenset((
    "republican", "democratic", "democrat", "american", "gop", "russian", "chinese", "british", "european",
    "conservative", "liberal", "labour", "tory", "federal", "state", "national", "international", "western",
))
# A cue form that is also an everyday noun or verb sense needs a person-like subject.
PERSON_ONLY = frozenset((
    "attack", "brand", "label", "dub", "compare", "hail", "rule", "call", "ask", "question", "demand",
    "threaten", "blame", "dismiss", "maintain", "continue", "state", "post", "point", "speak", "talk",
    "comment", "remark", "report",
))
# Auxiliaries and adverbs between a source and its cue ("has repeatedly said"); they join the cue.
AUXILIARIES = frozenset((
    "has", "have", "had", "'s", "’s", "will", "would", "could", "might", "may", "can", "should", "must",
    "is", "was", "were", "are", "be", "been", "did", "do", "does", "also", "later", "then", "previously",
    "repeatedly", "once", "again", "recently", "earlier", "now", "just", "often", "publicly", "privately",
    "already", "first", "further", "still", "even", "long", "never", "not", "n't", "simply", "flatly",
    "frequently", "reportedly", "separately", "since", "finally", "quickly", "initially",
    "originally", "openly", "angrily", "bluntly", "sharply", "loudly", "softly", "strongly",
))
# Time phrases that sit between a source and its cue ("Obama on Tuesday said").
TIME_WORDS = frozenset((
    "on", "last", "this", "week", "month", "year", "night", "morning", "afternoon", "evening", "today",
    "yesterday", "tonight", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday",
))
# Words before an "-ing" cue that tie it to a source already named ("…, adding", "began by saying").
PARTICIPLES_AFTER = frozenset((
    ",", "by", "before", "after", "while", "as", "when", "without", "and", "--", "—", "statement", "letter",
    "tweet", "tweets", "release", "message", "email", "video", "memo", "speech", "interview", "post",
))
# Words before "reports" that make it a noun ("after reports that"), a vague source.
REPORT_NOUN_BEFORE = frozenset((
    "after", "amid", "following", "despite", "on", "of", "with", "by", "to", "from", "news", "media", "press",
    "unconfirmed", "recent", "earlier", "local", "widespread", "multiple", "conflicting", "numerous",
    "initial", "were", "are", "there", "the", "these", "those", "such", "some", "many", "several", "and",
    "published", "other", "previous", "separate", "similar", "credible",
))
# Paragraph labels ending in a colon that credit nobody.
LABEL_STOP = frozenset((
    "note", "editor's note", "editor’s note", "update", "updated", "related", "read more", "see also",
    "watch", "video", "photo", "photos", "image", "images", "credit", "featured image credit", "source",
    "sources", "advertisement", "advert", "listen", "more", "follow", "subscribe", "share", "tags", "topics",
    "correction", "clarification", "warning", "breaking", "live", "analysis", "opinion", "comment",
    "getty", "reuters", "ap", "afp", "pa", "transcript", "q", "a", "by", "caption", "pictured", "above",
    "below", "top", "contact", "email", "twitter", "facebook", "instagram", "disclaimer", "disclosure",
))
# Pronouns that can stand as a source; relative "who"/"which" stand for the phrase before them.
PRONOUNS = frozenset(("he", "she", "they", "we", "i", "it", "you", "who", "which"))
PERSONAL_PRONOUNS = frozenset(("he", "she", "they", "we", "i", "you"))

DETERMINERS = frozenset((
    "the", "a", "an", "this", "that", "these", "those", "his", "her", "their", "its", "our", "my", "your",
    "one", "another", "some", "many", "several", "multiple", "two", "three", "four", "five", "six", "seven",
    "eight", "nine", "ten", "dozens", "most", "other", "others", "both", "few", "all", "each", "every",
    "numerous", "various", "no", "any",
))

# Words that cannot sit inside a source noun phrase: a backward scan stops at them.
STOP_WORDS = frozenset((
    "that", "to", "in", "on", "at", "by", "with", "after", "before", "when", "while", "because", "but", "and",
    "or", "as", "if", "than", "so", "for", "from", "into", "about", "what", "where", "how", "why", "whether",
    "though", "although", "since", "until", "unless", "however", "meanwhile", "yet", "also", "even", "then",
    "there", "here", "not", "be", "been", "being", "is", "was", "were", "are", "has", "have", "had", "do",
    "did", "does", "will", "would", "could", "should", "can", "may", "might", "must", "him", "them", "us",
    "me", "it", "he", "she", "they", "we", "i", "you", "who", "which", "whom", "whose", "said", "says",
    "say", "told", "asked", "once", "over", "under", "against", "during", "without", "within", "like",
    "just", "only", "still", "too", "very", "much", "more", "less", "least", "most", "again", "already",
    "instead", "indeed", "perhaps", "later", "earlier", "now", "ago", "recently", "today", "yesterday",
    "tonight", "thus", "hence", "therefore", "whatever", "whoever", "everyone", "nobody", "anyone",
    "anything", "something", "nothing", "everything", "of", "up", "down", "out", "off", "through", "via",
    "per", "amid", "among", "despite", "toward", "towards", "upon", "saying", "let", "lets", "made",
    "make", "makes", "got", "get", "gets", "went", "go", "goes", "came", "come", "took", "take", "having",
    "done", "doing", "see", "saw", "seen", "knew", "know", "known", "felt",
    "feel", "thought", "think", "wanted", "want", "wants", "needed", "need", "needs", "tried", "try",
    "tries", "gave", "give", "gives", "given", "kept", "keep", "left", "put", "set", "became", "become",
))
# Sentence-initial words that are capitalised only by position and are not names.
CAPITALISED_FUNCTION = STOP_WORDS | frozenset((
    "the", "a", "an", "this", "these", "those", "in", "on", "at", "but", "and", "still", "yet", "even",
    "also", "asked", "speaking", "according", "last", "next", "meanwhile", "instead", "separately",
    "overall", "elsewhere", "earlier", "later", "today", "then", "now", "here", "there", "when", "while",
))

# Head nouns of sources a text withholds: "a senior official", "people familiar with the matter".
ANONYMOUS_HEADS = frozenset((
    "source", "sources", "official", "officials", "aide", "aides", "adviser", "advisers", "advisor",
    "advisors", "insider", "insiders", "person", "operative", "operatives", "staffer",
    "staffers", "diplomat", "diplomats", "confidant", "confidants", "associate", "associates",
    "veteran", "veterans", "someone", "individual", "individuals", "ally", "allies", "intermediary",
    "whistleblower", "informant", "informants", "one",
    "another", "democrat", "republican", "strategist", "lawmaker", "executive", "employee",
))
# Post-modifiers that mark a withheld identity even on a weaker head ("a person close to ...").
ANONYMOUS_MARKERS = re.compile(
    r"\b(?:familiar with|close to|briefed on|with (?:direct )?knowledge|knowledgeable|not authori[sz]ed|"
    r"anonymity|anonymously|not to be (?:named|identified)|remain (?:anonymous|unnamed|nameless)|"
    r"(?:not (?:want|wish)(?:ed|ing)? to|declined to|refused to|would not|wouldn't|cannot|can't|could not)"
    r" be (?:named|identified)|"
    r"on (?:the )?condition (?:of|that)|unnamed|speaking privately|on background)\b", re.IGNORECASE)
# Heads that only a singular indefinite makes anonymous ("a New Hampshire Republican said").
SINGULAR_PERSON_HEADS = frozenset((
    "democrat", "republican", "lawmaker", "strategist", "executive", "employee", "official", "aide",
    "adviser", "advisor", "insider", "operative", "staffer", "diplomat", "source", "person", "veteran",
    "confidant", "associate", "member", "ally", "officer", "investigator", "negotiator", "donor",
    "expert", "analyst", "consultant",
))
# Unspecified groups and weasel subjects: "critics say", "many experts", "some voters".
VAGUE_HEADS = frozenset((
    "experts", "critics", "analysts", "observers", "commentators", "economists", "scientists",
    "researchers", "academics", "scholars", "pundits", "activists", "advocates", "campaigners",
    "supporters", "opponents", "detractors", "skeptics", "sceptics", "voters", "residents", "locals",
    "people", "americans", "citizens", "democrats", "republicans", "conservatives", "liberals",
    "progressives", "leaders", "lawmakers", "legislators", "politicians", "prosecutors", "lawyers",
    "doctors", "polls", "surveys", "studies", "reports", "some", "many", "others", "most", "few",
    "everyone", "everybody", "anyone", "nobody", "parents", "teachers", "investors", "traders",
    "historians", "defenders", "allies", "rivals", "members", "fans", "users",
    "watchers", "insiders", "groups", "employees", "workers", "officials", "colleagues", "friends",
    "neighbours", "neighbors", "witnesses", "rumours", "rumors", "media", "press", "commentary",
))
VAGUE_DETERMINERS = frozenset(("many", "some", "several", "most", "other", "others", "few", "numerous",
                               "various", "all", "countless", "certain"))
# Newsrooms, by the last word of their name or what they are: "The BBC has learned", "Sky News understands".
NEWSROOM_HEADS = frozenset((
    "observer", "post", "times", "journal", "guardian", "bbc", "news", "reuters", "telegraph", "independent",
    "politico", "axios", "bloomberg", "cnn", "itv", "press", "herald", "tribune", "gazette", "chronicle",
    "economist", "newspaper", "paper", "magazine", "outlet", "broadcaster", "network", "website",
))
# Subjects whose cue is a finding rather than speech: "a 2014 study found", "polls show".
EVIDENCE_HEADS = frozenset((
    "study", "studies", "poll", "polls", "survey", "surveys", "report", "reports", "analysis", "analyses",
    "data", "research", "review", "audit", "investigation", "inquiry", "probe", "records", "record",
    "documents", "document", "figures", "statistics", "numbers", "estimates", "estimate", "census",
    "video", "footage", "photos", "images", "transcript", "filings", "filing", "letter", "memo",
    "judge", "court", "panel", "jury", "researchers", "investigators", "scientists", "auditors", "slide",
    "chart", "map", "assessment", "forecast", "projections", "model", "tally", "count", "results",
    "evidence", "test", "tests", "experiment", "trial", "committee", "commission", "inspector", "watchdog",
    "authorities", "agency", "department", "ministry", "office", "bureau", "association", "institute",
    "inquest", "tribunal",
)) | NEWSROOM_HEADS

def verb_forms(table: Iterable[tuple[str, ...]]) -> dict[str, str]:
    """Every inflected form in ``table`` mapped to its base form."""
    return {form: row[0] for row in table for form in row}


def word_regex(words: Iterable[str]) -> str:
    """A regex alternation over ``words`` shaped as a prefix tree: one pass per position, not one per word."""
    tree: dict = {}
    for word in words:
        node = tree
        for char in word:
            node = node.setdefault(char, {})
        node[""] = {}
    return _tree_regex(tree)


def _tree_regex(node: dict) -> str:
    ends = "" in node
    branches = [re.escape(char) + _tree_regex(child) for char, child in sorted(node.items()) if char]
    if not branches:
        return ""
    body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
    if ends:
        return "(?:" + body + ")?"
    return body
