"""Extract taxa, range places and elevation bands from plain-text documents.

The core, :func:`extract_text`, is pure (text in, records out); the edges,
:func:`read_document` and :func:`extract_documents`, read files and build the
JSON-able result (``schema/ranges.schema.json``). The rules, in order:

1. Sentences and sections
   * HTML markup left in a scraped page is read as what it stands for: a break
     or block tag ("<br />", "<p>") is a line break, an inline tag ("<strong>") is
     dropped, "&nbsp;" is a space; when most lines end in a break tag followed by
     one blank line (doubled line ends), that blank line is part of the break.
   * A word broken by a hyphen at a line end (PDF text: "dis-/tributed") is
     read joined; evidence offsets are mapped back to the text as given.
   * A line with no terminal punctuation (``. ! ? : ;`` or a closing quote
     after one) and at most 6 words is a *heading*; it starts a section. So
     is a short line that is only a label ("Subspecies and Distribution:",
     "Distribution."). A line with no terminal punctuation and more than 6
     words is wrapped: the next non-blank line continues its sentence.
   * A *field label* at the start of a paragraph sets the section of that
     paragraph only: "Threats: ...", "DISTRIBUTION: ...", "Upper elevation
     limit (metres): 4000", "Range Description:This ..." (up to 5 words before
     the colon, brackets allowed), "Distribution. ..." / "Habitat. ..." (HBW/
     HMW style, when the words are a known section name) and lower-case
     "distribution: ..." (known names only). A field line is never a heading
     and always starts a new paragraph; so does a subspecies line ("Sakhalin -
     M. m. sachalinensis").
   * Sentences end at ``. ! ?`` (plus closing quotes/brackets) followed by
     white space and a capital, digit or quote, or directly by a capital
     after a lower-case letter ("decline.It"). No split after a single
     capital ("M. leucogaster") or after :data:`ABBREVIATIONS` ("ca.", "Mt.").
     Citation markers after the punctuation ("habitat.[3] The") stay with
     the sentence they close.
   * An IUCN presence label ("Native, Possibly Extant (resident): Myanmar") gives
     the places of its value its status; a bare one gives it to each following
     value line ("China (Xinjiang)", never a heading) up to a blank line, a label,
     a known heading or prose. A BirdLife country-table row ("Pakistan  Possibly
     Extant  Native  Yes") is a sentence whose columns give its status.
   * A paragraph is a heading, or a run of lines ending at a blank line or
     at a line that ends with terminal punctuation.
   * A paper's section heading (:data:`_PAPER_HEADINGS`: "Abstract", "RESUMEN",
     "Summary:", "KURZFASSUNG", "Introduction") alone on a line is a heading
     even after a line without final punctuation (an address ending in an
     e-mail address); run into flattened text ("... x@y.org Abstract We
     describe ...") it starts a sentence, and the line rules (affiliation,
     reference) read only the part of the line after it.
   * After a back-matter heading (:data:`BACK_MATTER_SECTIONS`: "See also",
     "References" ...) the rest of the document stays in that section.

2. Taxa
   * Binomials that are taxa whatever their genus (*strong*): bracketed;
     followed by an authority with a year ("Ochotona macrotis (Günther,
     1875)"); alone on their line with a Latin-looking epithet ("Nanorana
     pleskei" as a title; not "Scientific classification"); with a botanical
     authority ("Manostachya staelioides (K.Schum.) Bremek."); heading a numbered
     treatment or followed by an author ("82. Saussurea montana J. Anthony",
     "Lerwa nivicola, Hodgson."); with a subgenus ("Marmota (Marmota)
     himalayana"); after a name cue ("Scientifically named ...", "Binomial
     name"); after a common name and a dash on a short line ("Clark's
     Nutcracker -- Nucifraga columbiana"); or written again abbreviated ("L.
     leucura") or followed by an abbreviated list ("Sturnira aratathomasi, S.
     erythromos"), or marked as a name made in the text ("Pristimantis x sp.
     nov.", "Erebia y z subspec. nov."; the mark does not break a list of
     taxa). "the genus X", "Genus: X" make X a known genus. Never a
     binomial: a place word as epithet ("Zangbo river"), a place adjective as
     genus ("Pyrenean chamois"), an English-ending epithet ("Polylepis
     ranging").
   * The *subject* of a document: its title when it is a binomial or a
     common name written again in the text ("Impeyan Pheasant" links to the
     document's only binomial), else the first species named; in a *genus
     document* ("Polylepis is a genus ...", "Revision of the genus Gentiana",
     "The genus Oritrophium (...) is native ...") the genus, whose bare
     mentions and "the genus" then denote a genus record.
   * *Synonyms* denote the subject: another binomial with the subject's
     epithet ("Vultur barbatus" beside "Gypaetus barbatus"), one after
     "syn.", "synonym", "formerly in", "=", in a "Synonyms" field, or in a
     bibliographic line (volume: page. year).
   * *Trinomials* ("Moschus moschiferus sachalinensis", "M. m. parvipes",
     "Rhododendron arboreum subsp. cinnamomeum") denote their species record,
     which lists them under ``subspecies``; their places are the species'.
   * A binomial alone on its line followed by a short common name on the next
     line that is written again ("Lagopus muta" / "rock ptarmigan") is linked to
     it. A common name directly followed by its binomial after a line break, comma
     or dash ("Black Musk-deer / Moschus fuscus") or in apposition ("the musk
     deer Moschus cupreus": the bare group noun is then no genus record) is
     linked to it. With no taxon otherwise, a capitalised common name that is
     the subject of a range statement ("Himalayan marmots are found ...") is one.
   * A *common name* is a group noun from :data:`GROUP_NOUNS` ("musk deer",
     "musk-deer", any case) preceded by a modifier word that is not in
     :data:`NON_TAXON_MODIFIERS` ("dwarf", "white-bellied", "Himalayan"). A
     second, outer modifier is taken only when it is capitalised and the
     inner one is lower case ("Chinese forest musk deer"). A group noun
     followed on the same line by a capitalised word that does not start a
     binomial is part of a proper name ("Askot Musk Deer Sanctuary") and
     ignored. A group noun without a modifier ("Musk deer are ...", "the
     musk deer", "young musk deer") denotes the *genus* record (name "musk
     deer", scientific name from :data:`GROUP_NOUNS`, rank "genus").
   * A *binomial* ``Genus epithet`` is recognised (a) in brackets right after
     a common name -- "Dwarf musk deer (Moschus meminna)" -- or unbracketed
     right after it when the genus is known ("Himalayan musk deer Moschus
     chrysogaster"), which links the
     two, together with any common names chained before it by "or", "also
     known as", "also called" ("The white-bellied musk deer or Himalayan musk
     deer (Moschus leucogaster)": one record, both common names); (b) anywhere
     when the genus is a known genus (from :data:`GROUP_NOUNS` or found by (a)
     in the same document) and the epithet is not a common word; (c) as
     ``G. epithet`` for a known genus and epithet; (d) a misspelt genus with a
     known epithet of the same document ("Muschus meminna",
     difflib ratio >= 0.7) is the same taxon.
   * Within a document a common name linked to a binomial anywhere in it
     denotes that binomial's record everywhere in it.
   * Any group, not only musk deer: the head noun of a common name written
     directly before a bracketed binomial ("snow leopard (Panthera uncia)" ->
     "leopard"; a phrase ending in a built-in group keeps it) becomes a group
     noun of that document, singular or plural ("Snow leopards ..."). On its
     own ("the leopard") a derived head denotes the one species of the
     document with that head (none if several); it never makes a genus
     record -- only built-in groups, whose genus is known, do. Head nouns
     like "species", "animal", "mammal" never become group nouns. A document
     title that is such a common name is a taxon mention like any other.
   * Bare binomials (genus capitalised, epithet lower case, >= 3 letters) count
     when the genus is known (built-in or from a bracketed binomial), the pair
     is in brackets, or the pair occurs at least twice; never when the genus is
     an English function word ("The species", "In China", "Males fight") or
     the epithet is a stop word. A group noun inside a binomial ("Lynx lynx")
     is not a common name.
   * A place name inside a common name ("Kashmir musk deer", "Anhui musk
     deer") is part of the name when that name is linked to a binomial or
     written at least twice; otherwise ("In Nepal musk deer are found") the
     place stays a place and the phrase is only the bare group noun.
   * Single-species documents: when the first taxon mention is a species and
     no other species is mentioned more than half as often, a bare built-in
     group noun ("musk deer were seen in Nuristan") denotes that species,
     unless generic ("all/other/most ... musk deer", "musk deer species").
   * In prose also (issue #12, general rules): a binomial in apposition after a
     common name introduced by an article ("the moss mouse Pseudohydromys
     fuscus", "the Sooty Owl, Tyto tenebricosa") or after "species (of)" ("a new
     species of , Nectarinia rufipennis"), when genus and epithet look Latin; a
     binomial listed right beside one that is a taxon ("Ambystoma rivulare,
     Pseudoeurycea bellii bellii, P. leprosa"), which then teaches no common-name
     head; an abbreviation whose initial fits several known genera takes the genus
     of the binomial it is listed after ("Nyctimystes disrupter, N. foricula"); a
     title's part before " - ", " | " or ": " is a title ("Mountain Goat - Range
     and Habitat"). An English word after a binomial ("together") is no
     subspecies epithet.

3. The taxon of a sentence: if the sentence begins with an anaphoric subject
   (:data:`ANAPHORA`: "It", "They", "This species" ...) it is the taxon of
   the previous sentence; otherwise the first taxon named in it; otherwise
   the taxon of the previous sentence in the same paragraph; otherwise the
   document's subject (rule 2). The ";" clauses of a sentence that name
   different taxa each go to their own first taxon; binomials listed together
   at the head of a sentence ("A, B and C were captured in X") share its
   places and bands; so do the taxa of one list across ";" and group labels
   ("Frogs: A, B; skinks: C; and the snake D are reported from X"; "together
   with", "along with", "as well as" join a list too), and a taxon that is the
   subject of its own verb later in the sentence (", while B is found in Y") takes
   the places after it. A plural subject ("They ...", "These three
   species ...") in a sentence naming no taxon refers back to the taxa last
   listed together in the paragraph, which share its places and bands.
   A taxon named only as another's relative, prey, host or term of
   comparison ("differs from", "similar to", "unlike", "than", "its congener",
   "closest relative", "predator", "feeds on") is never the sentence's taxon
   nor listed with it, and a place said of it (the nearest taxon named before
   the place, with nothing between that returns to the subject) is non-range
   for both ("It differs from P. x, which occurs in Ecuador").

4. The *status* of each place found by the gazetteer in a sentence, in order:
   * ``non-range``, reason ``"heading"``, in a heading;
   * ``non-range``, reason ``"section '<heading>'"``, in a section whose heading
     contains a word of :data:`EXCLUDED_SECTIONS` (as a word prefix:
     "Conservationists" matches "conservation") and none of
     :data:`RANGE_SECTIONS` ("Distribution and status" stays in range);
   * the status of its label or heading (:data:`STATUS_SECTIONS`: IUCN lists
     "Native:", "Regionally extinct:", "Presence uncertain:", "Introduced:",
     "Vagrant:", "Type locality:");
   * ``non-range``, reason ``"bibliographic reference"``, in a line holding a
     reference (volume: page. year);
   * ``non-range`` in a list of authors (:func:`_in_author_list`: "Luis R.
     Rivas, Gabriel Callapa§, Patricia Mendoza-Miranda§"), in an author's
     address (a line with an e-mail address or an
     institution and no range statement; in flattened text, marks of two kinds
     of a postal address around the name: :func:`_in_address`), an author-year
     citation, a cited work's title, an organisation's name ("University of
     Alaska"), or as a reference point ("south of Canada", "113 km W. of
     Madang", "20 km from Cusco");
   * ``non-range``, reason ``"place of another taxon ..."``, when said of a
     taxon named only in comparison or as relative, prey or host (rule 3);
   * the status of the cue that governs it (:data:`NON_RANGE_CUES`: trade,
     protection, captivity, hunting, museums, absence; :data:`STATUS_CUES`:
     uncertain, former, introduced, reintroduced, vagrant, type locality): a
     "?" or a short bracket right after the name ("Bhutan?", "India
     (extinct)"); else the nearest cue before it, unless a clause break lies
     between (";", but, whereas, although, a fresh "and occurs in", "it
     occurs", a field label; for former cues also now/still/currently) or the
     cue sits in brackets closed before it, or is more than
     :data:`STATUS_CUE_SCOPE` characters away; else a cue starting at most
     :data:`NON_RANGE_REACH` characters after it that governs no later place
     ("In China, hunting ...", "Nepal, where it is extinct"; not "Nepal,
     possibly Bhutan"); an uncertain cue after a contrast that refers back
     ("Bhutan, but this needs verification") governs the places before it; an
     uncertain cue about something other than presence ("possibly declining",
     "probably the most common ...") governs nothing; "until <year>" governs
     only a place before it;
   * ``native`` if the sentence has a :data:`DISTRIBUTION_CUES` pattern (found,
     occurs, inhabits, distributed, native to/of, lives in, known from, breeds
     in, grows in, from X to Y ...), is in a range section or field
     (:data:`RANGE_SECTIONS`: Distribution, Range, Geographic Range, Habitat,
     Elevation ...), is a subspecies line, or is a bare list of places ("W
     Sichuan, E Xizang, NW Yunnan (Lijiang)");
   * otherwise ``non-range``, reason ``"no distribution cue"``.
   Native and reintroduced places (:data:`RANGE_STATUSES`) make the range;
   uncertain ones too with ``include_uncertain`` (``--include-uncertain``),
   else they are listed under ``excluded`` like every other status, one item
   per name, country and reason, each with its status and sentence. A place
   named both as range and otherwise is range.

5. What a range place adds
   * A country name (or country alias: "Korea" -> KOR and PRK) adds the
     country to ``countries``, with the compass words just before it as
     ``qualifiers`` ("northern India", "N India", "the north of India",
     "north-west China" -> "northern", "north-western"; normalised to the
     ``-ern`` form).
   * An admin-1 name or alias adds an ``admin1`` item (name as written,
     ``boundary_name`` as in the boundaries) and its country to
     ``countries`` (with the admin-1 evidence if the country is not named).
   * A region name adds a ``regions`` item (its countries, how its polygon
     is made, its qualifiers); its countries join ``countries`` through the
     units (rule 6). Compass words are kept as qualifiers for every kind.
   * A homonym's ruled-out meanings are kept as ``alternatives`` on the
     country/admin-1 item.

6. Units (the geometry to map), computed per record after merging by
   :func:`rangemap.units.assemble` (the narrowest place wins; see that
   module): a country's named admin-1 units and the parts of regions named
   together with it, else the whole country (or when the text says
   "throughout X"); a region named alone adds its part in each of its
   countries not otherwise in the range; "from X to Y" along a region covers
   the region's countries between the ends; qualifiers stay on the units.

7. Elevation
   * Structured fields win: "Upper elevation limit (metres): 4000", "Lower
     elevation limit (metres): 1500", "Elevation: 2000–3500 m", "Range
     elevation: 2500 to 5200 m", "Altitude (ft): 8000-9000"; a bare field label
     on its own line labels the next line ("Range elevation" / "0 to 2800 m").
   * Quantities in metres (m, metres, meters), feet (ft, feet; converted
     x 0.3048 and rounded to the metre) or kilometres (only with an altitude
     word: "2.5–5 km"); thousands written "2,500", "2.500" or "2 500" (thin
     space), decimals "2.5" or "2,5": ranges "2800-4000 m", "3,000–3,500 m",
     "2800 to 4000 metres", "between 2,600 and 4,200 m", "from 2,000 m to
     3,800 m"; bounds "above/over/more than/at least/from X" (lower),
     "below/under/less than/up to X" (upper); points "at/around/about X" or a
     bare quantity right after "altitude(s)/elevation(s) (of)" or followed
     by "asl"/"above sea level" (both bounds). A bracketed alternative
     ("2,500 m (8,200 ft)", "8,530 ft (2600 m)") is consumed; the metric
     value is preferred.
   * Only in elevation context: the sentence mentions altitude, elevation,
     asl or sea level; or (weaker) alpine/montane/mountain/highland habitat
     words, in which case only bounded or ranged quantities of at least
     100 m count; or (weakest) a distribution sentence with no such words,
     where only a range or bound after at/between/above/below ... of at least
     :data:`ELEVATION_MIN_PLAIN_M` counts ("found in Nepal at 3,000-5,000 m").
     Values outside -500..9000 m are ignored; so are sentences excluded by
     section, and statements governed by a non-range cue (as for places).
     "10 cm", "60cm tall", "25 grams",
     "22 hectares", "5 m long" are never elevations.
   * "From sea level to 2,000 m", "lowlands to 1,500 m" give 0-2000, 0-1500;
     "to at least 4,000 m" an upper limit; "to tree-line at 4,400 m" an upper
     limit; a lower and an upper bound of one sentence are one band ("from
     3200 m to tree-line in 4400 m"); bracketed extremes widen the band
     ("(1500–)2000–3000(–3500) m" is 1500-3500).
   * Each statement has a *scope*: ``point`` (one altitude: "seen at 3,200
     m"), ``subspecies``, ``seasonal`` (winter, breeding, descends ...),
     ``extreme`` (rarely, occasionally, as high as ...), ``record`` (an
     observation with a year), ``regional`` (after a fronted "In <place>,", or
     right after a place when the sentence gives several bands), else
     ``species``. The band (``elevation_min_m``, ``elevation_max_m``) is the
     structured fields, else the first species-wide statement, else the first
     regional/record/subspecies/extreme or breeding-season one, else the first
     other seasonal one (winter) --
     never a union; a single altitude is never a band; an upper limit alone
     has no lower limit. The other statements are listed in
     ``elevation_other``; species-wide statements that disagree with the band
     are a warning.

8. Merging across documents: records with the same scientific name merge; a
   record without one merges into the single record whose common names
   include its name, else with records of the same normalised common name.
   Species are sorted by (scientific name or name, name); evidence by
   (document, start).

9. Warnings (never silent): a document with no taxon, a record with no range
   places that is a document's subject or had places left out (not a passing
   mention), disagreeing species-wide bands, an admin-1 name left in several
   countries -- one line each in ``warnings`` (the CLI adds them to the run's
   warning summary on stderr and, for ``build``, to the manifest).
"""

from __future__ import annotations

import bisect
import difflib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rangemap import model
from rangemap.errors import DataError
from rangemap.gazetteer import COUNTRY_ADJECTIVES, Gazetteer, Mention
from rangemap.preferences import find_all as find_preferences
from rangemap.preferences import record_fields as preference_fields
from rangemap.units import assemble as assemble_units
from rangemap.units import says_whole, span_countries
from rangemap.values import plain_number as _num

__all__ = [
    "Evidence",
    "Sentence",
    "TaxonRecord",
    "extract_text",
    "extract_documents",
    "merge_records",
    "read_document",
    "split_sentences",
    "parse_elevations",
    "GROUP_NOUNS",
    "DISTRIBUTION_CUES",
    "NON_RANGE_CUES",
    "STATUS_CUES",
    "STATUS_SECTIONS",
    "RANGE_STATUSES",
    "EXCLUDED_SECTIONS",
    "RANGE_SECTIONS",
    "BACK_MATTER_SECTIONS",
    "NON_TAXON_MODIFIERS",
    "ANAPHORA",
    "ABBREVIATIONS",
]

# --------------------------------------------------------------------------- constants

#: Group nouns heading common names: phrase -> (genus common name, genus scientific name).
#: Words of a phrase may be joined by spaces or hyphens in texts.
GROUP_NOUNS: dict[str, tuple[str, str]] = {
    "musk deer": ("musk deer", "Moschus"),
}

#: Sentence patterns that make a place mention part of the range (regex, case-insensitive).
DISTRIBUTION_CUES: tuple[str, ...] = (
    r"\bfound\b", r"\boccur(?:s|red|ring|rence|rences)?\b", r"\binhabit(?:s|ed|ing)?\b",
    r"\bdistribut(?:ed|ions?)\b", r"\brang(?:e|es|ed|ing)\b", r"\bnative\s+to\b",
    r"\bliv(?:es|e|ing)\s+(?:in|on|throughout|across)\b", r"\brecorded\s+(?:from|in)\b",
    r"\breported\s+(?:from|in)\b", r"\bendemic\s+(?:to|in)\b", r"\bconfined\s+to\b",
    r"\bknown\s+(?:only\s+)?from\b", r"\brecords?\s+(?:\w+\s+){0,2}from\b",
    r"\bnative\s+(?:\w+ly\s+)?(?:of|in|to)\b",
    r"\bbreed(?:s|ing)?\s+(?:\w+ly\s+)?(?:in|on|throughout|across|from)\b",
    r"\b(?:occurs?|lives?|found|present|resident)\s+\w+ly\s+(?:in|on|throughout|across)\b",
    r"\bwinters?\s+(?:\w+ly\s+)?(?:in|on|to)\b", r"\bvisitors?\s+to\b",
    # a wintering area reached by migration: "It migrates north to Bolivia"
    r"\bmigrat(?:es|e|ing)\s+(?:\w+\s+){0,2}?(?:to|into)\b",
    # "lives at 3,000-4,000 m", "breeds at", "winters at", "nests at"
    r"\b(?:liv(?:es|e|ing)|breed(?:s|ing)?|winter(?:s|ing)?|nest(?:s|ing)?)\s+(?:\w+ly\s+)?at\b",
    r"\bgrow(?:s|ing)?\s+(?:\w+ly\s+)?(?:in|on|at|throughout|across)\b",
    r"\b(?:surviv(?:es?|ing)|persist(?:s|ing)?|remains?)\s+(?:\w+ly\s+)?(?:in|on)\b",
    r"\b(?:re)?discovered\s+(?:in|on|at)\b",
    r"\b(?:observed|sighted|photographed|camera[\s-]trapped|seen)\s+(?:\w+ly\s+)?"
    r"(?:in|on|at|from|near)\b",
    r"\b(?:widespread|scattered|common|abundant)\s+(?:in|throughout|across)\b",
    # rarity is presence: "Bombus jonellus is very rare in the Pyrenees", "known only in"
    r"\b(?:rare|uncommon|scarce|localis?z?ed|local)\s+(?:in|throughout|across)\b",
    r"\bknown\s+only\s+(?:in|on)\b",
    # "Three species of the genus Phrynobatrachus ... are recognised in Ethiopia"
    r"\brecogni[sz]ed\s+(?:from|in)\s+(?:the\s+)?[A-Z]",
    r"\bpopulations?\b[^.;]{0,40}\b(?:in|on|at)\b",
    # Spanish abstracts (SciELO): "se distribuye en", "distribución", "habita", "endémico de"
    r"\bdistribu(?:ción|ye|yen|ida|ido|idas|idos)\b", r"\bse\s+encuentra[n]?\b",
    r"\bhabita[n]?\s+(?:en|los|las|el|la)\b", r"\bendémic[oa]s?\b", r"\bendemismos?\b",
    r"\brestricted\s+to\b", r"\bpresent\s+in\b", r"\bresident\s+in\b", r"\bbreeds?\s+in\b",
    r"\bspanning\b", r"\bextend(?:s|ing)?\b", r"\bfrom\b[^.;]*\bto\b",
    # a record statement: "recorded for the first time in Switzerland", "new for Austria",
    # "newly documented in Wyoming"
    r"\b(?:recorded|reported|found|documented|collected)\s+for\s+the\s+first\s+time\s+"
    r"(?:in|from)\b", r"\bnew\s+(?:for|to)\s+(?:the\s+)?[A-Z]",
    r"\bnewly\s+(?:recorded|documented|reported|found)\b",
    # a presence stated or confirmed: "its presence in Bhutan was confirmed in 2010"
    r"\bpresence\s+(?:in|on)\b",
    # papers reporting a record: "we report for the first time the presence of this
    # species in Ecuador", "First record of the rain frog P. x for Ecuador", "an
    # observation of the Brown Accentor from Bhagirathi Valley"
    r"\bpresence\s+of\s+(?:this|the|these|both)\s+(?:[\w-]+\s+){0,2}?(?:in|on|at)\b",
    r"\breport(?:s|ed|ing)?\s+(?:\w+\s+){0,3}?for\s+the\s+first\s+time\b",
    r"\b(?:new|first)\s+(?:[\w-]+\s+){0,2}records?\b[^.;]{0,150}?\b(?:for|from|in)\b",
    r"\b(?:observations?|sightings?)\s+of\s+(?:[\w'’-]+\s+){1,5}?(?:from|in|at)\b",
    # where the field work of a paper was done, and where its site lies: "Fieldwork was
    # conducted in ...", "The study area is located in ...", "Mwanihana Forest is on the
    # eastern escarpment of the Uzungwa Mountains, in Kilombero District, Morogoro Region"
    r"\b(?:field\s?work|field\s+trips?|expeditions?|collecting\s+trips?)\b[^.;]{0,80}?"
    r"\b(?:in|at|to|on)\b",
    r"\bstudy\s+(?:area|site|region|sites|areas)\b[^.;]{0,60}?\b(?:in|at|on|within)\b",
    r"\bconfirmed\s+(?:to\s+(?:occur|be\s+present)\s+)?(?:in|from|at|on)\b",
    # papers and abstracts: where a new taxon is described from, where a study found it
    # (the name of the new taxon may carry its "sp. nov." on the way: "a new species of
    # chameleon, Trioceros x sp. nov., from Kinangop Peak ... Kenya")
    r"\bdescribed\s+from\b", r"\bwe\s+describe\b[^.;]{0,80}?\bfrom\b",
    r"\bnew\s+(?:species|subspecies|genus|genera|taxa|taxon)\b(?:[^.;]|\b(?:sp|spec|ssp|subsp|subspec|gen)"
    r"\.\s?(?:nov|n)\.){0,120}?\bfrom\b",
    r"\b(?:sp|spec|ssp|subsp|subspec)\.\s?(?:nov|n)\.,?\s+(?:is\s+|are\s+)?"
    r"(?:described\s+|collected\s+)?from\b",
    # "a new species for Uttarakhand", "new record for the Sikkim Himalaya"
    r"\bnew\s+(?:\w+\s+){1,2}?(?:for|to)\s+(?:the\s+)?[A-Z]",
    r"\b(?:surveys?|surveyed|sampled|captured|trapped)\b[^.;]{0,80}"
    r"\b(?:in|at|throughout|across|from)\b",
)

#: Sentence patterns that make place mentions *not* range (regex, case-insensitive):
#: trade, protection, captivity, hunting, museums, absence (status "non-range").
NON_RANGE_CUES: tuple[str, ...] = (
    r"\bprotected\s+(?:by\s+law|in|under)\b", r"\blisted\s+as\b", r"\btrade[sd]?\b",
    r"\btrading\b", r"\bsold\b", r"\bsell(?:s|ing)?\b", r"\bmarkets?\b",
    r"\bfarm(?:s|ed|ing)?\b", r"\bhunting\b", r"\bpoach(?:ed|ing|ers?)?\b",
    r"\bimport(?:s|ed)?\b", r"\bexport(?:s|ed)?\b", r"\bcaptiv(?:e|ity)\b", r"\bzoos?\b",
    r"\bnot\s+(?:found|present|known|recorded|reported)\b", r"\babsent\b",
    r"\b(?:does|do|did)\s*(?:not|n't)\s+(?:occur|live|breed|extend|range|grow)\b",
    r"\bnever\s+(?:been\s+)?(?:recorded|found|reported|seen|collected)\b",
    r"\b(?:has|have|had)\s+not\s+been\s+(?:recorded|found|reported|seen|collected|observed)\b",
    # an observer's negative record: "I did not meet with them in Thibet", "we have not
    # seen it in Nepal"
    r"\b(?:did|do|does|have|has|had)\s*(?:not|n't|never)\s+(?:meet|met|see|seen|find|found|"
    r"observe|observed|record|recorded|collect|collected|encounter|encountered)\s+"
    r"(?:with\s+)?(?:it|them|the\s+species|this\s+species|any\s+\w+)?\s*(?:in|at|on|from)\b",
    r"\bno\s+(?:confirmed\s+)?(?:records?|evidence)\b",
    # "There is no information available on the population size ... in Nepal"
    r"\bno\s+(?:\w+\s+)?(?:information|data)\s+(?:(?:is|are)\s+)?(?:available\s+)?"
    r"(?:on|about|for|regarding|from)\b",
    r"\bbut\s+not\s+(?:in|from|on|to)\b",
    r"\bnot\s+(?:a\s+)?part\s+of\s+(?:its|the)\s+(?:range|distribution)\b",
    r"\blicen[cs]e\b", r"\blegislation\b", r"\bCITES\b", r"\bmuseums?\b",
    r"\bherbari(?:um|a)\b", r"\bquotas?\b",
    # a record rejected: "a record from Bhutan is considered erroneous"
    r"\berroneous(?:ly)?\b", r"\bin\s+error\b", r"\bmisidentifi(?:ed|cations?)\b",
    # a disease or decline said of a region: "Chytridiomycosis has been reported in Peru"
    r"\bchytrid\w*\b", r"\bBatrachochytrium\b", r"\b(?:similar|comparable|parallel)\s+declines?\b",
    # a search that failed: "Surveys in Bolivia failed to find it"
    r"\bfailed\s+to\s+(?:find|detect|record|locate|confirm)\b", r"\bunsuccessful(?:ly)?\b",
    r"\bwithout\s+success\b",
    # populations split off: "Populations in Bolivia were described as a separate species",
    # "removed from this species", "now assigned to T. marmoratus"
    r"\b(?:described|recogni[sz]ed|treated|considered|regarded|elevated)\s+as\s+(?:a\s+)?"
    r"(?:separate|distinct|different|new|valid|full)\s+(?:species|taxon)\b",
    r"\b(?:removed|excluded|separated)\s+from\s+(?:this|the)\s+species\b",
    r"\b(?:now|currently|since)\s+(?:considered|assigned|referred|placed|treated|"
    r"included|recogni[sz]ed)\s+(?:to|in|as|under)\b",
    # cultivation: "cultivated as an ornamental in Europe", "planted in parks in Japan"
    # (not the habitat "cultivated fields", "forest edge and cultivation")
    r"\bcultivated\s+(?:\w+ly\s+)?(?:in|as|for|throughout|across|around|worldwide)\b",
    r"\b(?:in|under|into)\s+cultivation\b", r"\bornamentals?\b",
    r"\b(?:is|are|was|were|been|being|widely|commonly|often|also)\s+planted\b",
    r"\bgrown\s+(?:\w+\s+)?(?:in\s+(?:gardens|parks|nurseries|greenhouses)|"
    r"as\s+an?\s+(?:ornamental|crop|hedge))\b",
    r"\bbotanic(?:al)?\s+gardens?\b", r"\barboret(?:um|a)\b",
    # the study's funding and its people: "funded by the government of Japan"
    r"\b(?:funded|financed|sponsored)\s+by\b", r"\bfunding\b",
    r"\bgrants?\s+(?:from|of|no\.?)\b", r"\backnowledge?(?:s|d|ments?)?\b",
)

#: Status cues other than "non-range" (regex, case-insensitive), by status. A place
#: governed by one of them is not native range (rule 4 of the module docs);
#: "reintroduced" places are range again.
STATUS_CUES: dict[str, tuple[str, ...]] = {
    "reintroduced": (r"\bre-?introduc(?:ed|tions?|ing)\b", r"\btrans-?locat(?:ed|ions?)\b"),
    "introduced": (r"(?<![\w-])introduc(?:ed|tions?)\b", r"\bnaturali[sz](?:ed|ation)\b",
                   r"\bferal\b", r"\bnon-?native\b", r"\balien\b", r"\binvasive\b",
                   r"\bescaped?\s+(?:from\s+)?(?:cultivation|gardens?)\b",
                   r"\bgarden\s+escapes?\b"),
    "former": (r"\bextinct\b", r"\bextirpated\b", r"\bformerly\b", r"\bformer\s+range\b",
               r"\bhistorical(?:ly)?\b", r"\bno\s+longer\b", r"\bdisappeared\b",
               r"\bused\s+to\s+(?:occur|live|be\s+found)\b", r"\beradicated\b",
               r"\blast\s+(?:recorded|seen|reported|collected|observed)\b",
               r"\bonce\s+(?:\w+\s+)?(?:occurred|found|ranged|lived|widespread|common|"
               r"abundant|numerous|present)\b",
               r"\bvanished\b", r"\bwiped\s+out\b", r"\bexterminated\b",
               r"\b(?:been|was|were|is|are)\s+lost\s+from\b",
               # fossil and archaeological records: "Fossils are known from Bhutan"
               # (not "fossil records are reviewed here for Turkey")
               r"\b(?:sub-?)?fossils?(?:\s+(?:remains|bones|records?|material|specimens?))?"
               r"\s+(?:from|in|at)\b",
               r"\b(?:sub-?)?fossils?(?:\s+\w+){0,2}\s+(?:are|is|was|were|have|has|had)\s+"
               r"(?:been\s+)?(?:\w+\s+)?(?:known|found|recorded|reported|described|collected|"
               r"discovered|excavated|unearthed)\b",
               r"\b(?:known|recorded)\s+(?:only\s+)?(?:as|from)\s+(?:sub-?)?fossils?\b",
               r"\b(?:Pleistocene|Pliocene|Miocene)\b",
               r"\b(?:pal(?:a)?eontological|archa(?:e)?ological)\b",
               # after the place only (see _AFTER_ONLY_RE): "in Bangladesh until the 1930s"
               r"\buntil\s+(?:the\s+)?(?:early\s+|mid-?|late\s+)?(?:1[5-9]\d\d|20[0-2]\d)s?\b"),
    "uncertain": (r"\bpossibl[ey]\b", r"\bprobabl[ey]\b", r"\bperhaps\b",
                  r"\bpresumabl[ey]\b", r"\blikely\b", r"\bunconfirmed\b",
                  r"\buncertain\b", r"\bdoubtful(?:ly)?\b", r"\bpotential(?:ly)?\b",
                  r"\bpredicted\b", r"\bexpected\s+to\s+occur\b",
                  r"\b(?:may|might|could)\s+(?:also\s+|still\s+|yet\s+|well\s+)?(?:have\s+)?"
                  r"(?:occur(?:red)?|be(?:en)?\s+(?:found|present)|extend(?:ed)?|range[ds]?|"
                  r"live[ds]?|inhabit(?:ed)?|exist(?:ed)?|survive[ds]?|persist(?:ed)?)\b",
                  r"\b(?:needs?|requires?|awaits?|awaiting)\s+(?:further\s+)?"
                  r"(?:confirmation|verification)\b",
                  r"\bquestionable\b", r"\bunverified\b", r"\balmost\s+certainly\b",
                  r"\b(?:reportedly|allegedly|supposedly|purportedly|apparently)\b",
                  # "the species appears to be present also in the mountains of Kenya"
                  r"\b(?:appears?|appeared|seems?|seemed)\s+(?:also\s+)?to\s+(?:be\s+"
                  r"(?:present|found)|occur|extend|range|live|inhabit)\b",
                  r"\b(?:anecdotal|unsubstantiated|unreliable|unclear|dubious)\b",
                  r"\bclaim(?:s|ed)?\b",
                  r"\bnot\s+(?:yet\s+)?(?:been\s+)?(?:confirmed|verified|accepted)\b",
                  r"\b(?:is|are|remains?|was|were)\s+(?:still\s+)?(?:unknown|unclear)\b",
                  r"\bwhether\s+(?:or\s+not\s+)?(?:it|they|the\s+species|this\s+species)\s+"
                  r"(?:\w+\s+){0,2}?(?:occurs?|is\s+present|are\s+present|exists?|lives?|"
                  r"breeds?|survives?)\b",
                  r"\bshould\s+be\s+(?:looked|searched)\s+for\b",
                  r"\b(?:believed|thought|suspected|presumed|assumed|said)\s+(?:to|that)\b",
                  # "reported to be (or have been) present on the Maritime Alps"
                  r"\breported\s+(?:as\s+occurring|to\s+occur|to\s+(?:be|have\s+been)\s*"
                  r"(?:\([^()]{0,30}\)\s*)?(?:present|found))\b"),
    "vagrant": (r"\bvagrants?\b", r"\baccidentals?\b", r"\bstragglers?\b",
                r"\bon\s+passage\b", r"\bpassage\s+migrants?\b"),
    "type-locality": (r"\btype\s+locality\b", r"\b(?:holo|lecto|neo|syn)types?\b",
                      r"\btype\s+specimens?\b"),
}

#: Statuses whose places make range units (``--include-uncertain`` adds "uncertain").
RANGE_STATUSES: tuple[str, ...] = ("native", "reintroduced")

#: Labels and headings that give every place under them one status (IUCN country
#: lists "Native:", "Regionally extinct:", "Presence uncertain:" ...); matched as word
#: prefixes of the lower-cased label, first hit wins.
STATUS_SECTIONS: tuple[tuple[str, str], ...] = (
    ("possibly extant", "uncertain"), ("reintroduced", "reintroduced"),
    ("introduced", "introduced"), ("invasive", "introduced"), ("naturali", "introduced"),
    ("possibly extinct", "uncertain"), ("extinct", "former"), ("extirpated", "former"),
    ("origin uncertain", "native"), ("presence uncertain", "uncertain"),
    # IUCN seasonality: "Extant (seasonality uncertain)" is present; passage (IUCN
    # season code 4) is not range (labelling guide: codes 1-3 are)
    ("seasonality uncertain", "native"), ("passage", "vagrant"),
    ("uncertain", "uncertain"),
    ("vagrant", "vagrant"), ("type locality", "type-locality"), ("type loc", "type-locality"),
    ("native", "native"),
)

#: Section-heading words whose sections are not range (matched as word prefixes).
EXCLUDED_SECTIONS: tuple[str, ...] = (
    "threat", "conservation", "trade", "effort", "see also", "reference", "external link",
    "further reading", "notes", "bibliography", "captivity", "farming", "uses",
    "in culture", "protection", "status", "management", "hunting",
    # encyclopedia sections about people, cultivation and other taxa, not the range
    "cultivation", "etymology", "naming", "culture", "cultural", "relationship with human",
    "human use", "economic", "culinary", "cuisine", "medicinal", "in popular",
    "similar species", "related species", "confusion species", "fossil", "paleontolog",
    "palaeontolog",
)

#: Section-heading words that keep a section in range even if it also matches
#: :data:`EXCLUDED_SECTIONS` ("Distribution and status").
RANGE_SECTIONS: tuple[str, ...] = (
    "distribution", "range", "habitat", "occurrence", "elevation", "altitude", "native",
    "geographic", "where found", "localities", "countries of occurrence", "distr", "hab",
    "extant",
)

#: Headings after which the rest of the document is back matter.
BACK_MATTER_SECTIONS: tuple[str, ...] = (
    "see also", "references", "external links", "further reading", "notes",
    "bibliography", "sources", "citations",
)

#: Words that never make a common name species-specific (lower case).
NON_TAXON_MODIFIERS: frozenset[str] = frozenset("""
a an the this that these those of for and or nor in on at to by with from as than into onto
its their his her our your my all any both each every few many more most much several some
such other another same single one two three four five six seven eight nine ten eleven twelve
twenty thirty forty fifty hundred thousand hundreds thousands
young adult adults juvenile juveniles male males female females wild captive domestic
domesticated farmed free free-ranging dead live living hunted pregnant baby newborn fawn fawns
large larger largest small smaller smallest big typical true so like about are is was were be
been being have has had do does did can could may might will would should must not no between
behavior behaviour ecology habitat distribution description characteristics conservation
threats diet reproduction taxonomy status range population populations select page where when
which who what how why there here then also only even still just very per among whose
found seen saw recorded observed reported sighted spotted killed hunted caught trapped
include includes including included like unlike called named known see saw against
unidentified unknown unnamed undetermined unidentifiable
related closely close allied similar sister congeneric sympatric
abstract summary introduction keywords résumé resumen
""".split())

#: Sentence openings that refer back to the previous sentence's taxon.
ANAPHORA: tuple[str, ...] = (
    "it", "its", "they", "their", "them", "this species", "the species", "these species",
    "this animal", "these animals", "this deer", "these deer", "such animals", "he", "she",
    "the genus", "this genus", "these plants", "the plants", "this plant", "the plant",
)

#: Abbreviations after which a period does not end a sentence.
ABBREVIATIONS: frozenset[str] = frozenset({
    "ca", "c", "approx", "mt", "mts", "st", "dr", "no", "nos", "fig", "figs", "vs", "rep",
    "dem", "is", "sp", "spp", "ssp", "subsp", "var", "cf", "e.g", "i.e", "eg", "ie", "al",
    "etc", "prov", "dist", "co", "jr", "sr", "mr", "mrs", "ms", "prof", "ft", "vol", "pp",
    # personal sources in IUCN/BirdLife text: "(A. Rahmani in litt. 2012)", "pers. comm.
    # 2014", "pers. obs.", "unpubl. data"
    "litt", "comm", "obs", "unpubl", "pers",
})

_COMPASS_WORDS = {
    "north": "northern", "south": "southern", "east": "eastern", "west": "western",
    "northern": "northern", "southern": "southern", "eastern": "eastern",
    "western": "western", "central": "central", "centre": "central", "center": "central",
}
_COMPASS_ABBR = {
    "N": "northern", "S": "southern", "E": "eastern", "W": "western", "NE": "north-eastern",
    "NW": "north-western", "SE": "south-eastern", "SW": "south-western",
    "C": "central",
}

_DIST_RE = [re.compile(p, re.I) for p in DISTRIBUTION_CUES]
_NONRANGE_RE = [re.compile(p, re.I) for p in NON_RANGE_CUES]
_STATUS_RE = [(st, re.compile(p, re.I)) for st, pats in STATUS_CUES.items() for p in pats]
_TERMINAL = ".!?:;"
_WORD_RE = re.compile(r"[^\W\d_][\w'’-]*")


# --------------------------------------------------------------------------- data classes

@dataclass(frozen=True)
class Evidence:
    """Where a statement comes from: ``text[start:end]`` is the matched span."""

    document: str
    start: int
    end: int
    sentence: str

    def to_dict(self) -> model.Evidence:
        """JSON form (the contract's :class:`rangemap.model.Evidence`)."""
        return {"document": self.document, "start": self.start, "end": self.end,
                "sentence": self.sentence}

    @property
    def sort_key(self) -> tuple[str, int, int]:
        return (self.document, self.start, self.end)


@dataclass(frozen=True)
class Sentence:
    """A sentence (or heading) with its position and context."""

    start: int
    end: int
    text: str
    paragraph: int
    section: str
    heading: bool = False
    #: offsets in ``text`` of a status label's own words ("Native, Possibly Extant",
    #: a table row's "Extinct Native"): they give the status, they are not cues
    label_span: tuple[int, int] | None = None


@dataclass
class _PlaceHit:
    kind: str  # country | admin1 | region
    name: str  # canonical (country name, boundary admin-1 name, region name)
    surface: str
    targets: tuple[tuple[str, str | None], ...]
    qualifiers: tuple[str, ...]
    ev: Evidence
    qualifier_only: bool = False  # regions: sentence also names one of its countries
    status: str = "native"  # native | reintroduced | uncertain
    reason: str = ""  # why the status (uncertain places: the cue)
    named_with: tuple[str, ...] = ()  # regions: its countries named in the same sentence
    whole: bool = False  # countries: "throughout X", "all of X" (units rule 1)
    span: tuple[str, ...] | None = None  # regions: countries of a "from X to Y" span
    polygon_method: str | None = None  # regions with a polygon: how it is made
    alternatives: tuple[str, ...] = ()  # homonyms ruled out by context
    match: str = "exact"  # exact | fuzzy

    @property
    def polygon(self) -> bool:
        return self.polygon_method is not None


#: Statuses of a country that a region named alone must not add back (units rule 3: a
#: hedge on a country wins over its implication by a region; a former or introduced
#: mention does not, per the labelling guide's decisions).
WITHHELD_STATUSES = frozenset({"uncertain"})


@dataclass
class _Excluded:
    name: str
    iso3: str | None
    reason: str
    ev: Evidence
    status: str = "non-range"


@dataclass
class _Elev:
    lo: float | None
    hi: float | None
    ev: Evidence
    #: what the band covers: "field" (structured field), "species" (species-wide
    #: prose), "regional", "seasonal", "subspecies", "extreme", "point" (one altitude)
    scope: str = "species"
    #: a seasonal band of the breeding range ("breeds at 3,000-4,500 m"): it ranks with
    #: the regional ones, before winter bands (labelling guide, elevation rule 3)
    breeding: bool = False


@dataclass
class TaxonRecord:
    """Everything extracted about one taxon (from one or several documents)."""

    name: str
    scientific_name: str | None
    rank: str
    common_names: list[str] = field(default_factory=list)
    documents: list[str] = field(default_factory=list)
    places: list[_PlaceHit] = field(default_factory=list)
    excluded: list[_Excluded] = field(default_factory=list)
    elevations: list[_Elev] = field(default_factory=list)
    country_names: dict[str, str] = field(default_factory=dict)
    prefs: list[tuple[Any, Evidence]] = field(default_factory=list)  # habitat/slope hits
    subspecies: list[str] = field(default_factory=list)
    #: the subject of one of its documents (title, first species, genus document)
    subject: bool = False
    #: (code, message) of probably-wrong results found while extracting
    warnings: list[tuple[str, str]] = field(default_factory=list)

    # ----------------------------------------------------------------- views
    def range_places(self, include_uncertain: bool = False) -> list[_PlaceHit]:
        """Places that make the range (rule 4): native and reintroduced ones, plus
        uncertain ones with ``include_uncertain``."""
        ok = RANGE_STATUSES + (("uncertain",) if include_uncertain else ())
        return [p for p in self.places if p.status in ok]

    @property
    def countries(self) -> list[str]:
        """ISO3 codes of the range countries, sorted."""
        return sorted({t[0] for p in self.range_places() if p.kind in ("country", "admin1")
                       for t in p.targets})

    def band(self) -> tuple[_Elev | None, _Elev | None, list[_Elev], bool]:
        """The elevation band (rule 7): (lower, upper, others, conflict).

        Structured fields win; then the first species-wide band; then the first
        regional, subspecies or extreme band, then the first seasonal one. Single
        altitudes are never a band. ``conflict`` is true when species-wide bands
        disagree.
        """
        evs = sorted(self.elevations, key=lambda e: e.ev.sort_key)
        fields = [e for e in evs if e.scope == "field"]
        if fields:
            lo = next((e for e in fields if e.lo is not None), None)
            hi = next((e for e in fields if e.hi is not None), None)
            # one structured limit only: the other comes from the first species-wide
            # prose band that agrees with it (IUCN pages often give just one field)
            prose = next((e for e in evs if e.scope == "species"), None)
            if prose is not None and lo is not None and hi is None and prose.hi is not None \
                    and prose.hi > lo.lo:
                hi = prose
            elif prose is not None and hi is not None and lo is None \
                    and prose.lo is not None and prose.lo < hi.hi:
                lo = prose
            chosen = [e for e in (lo, hi) if e is not None]
            return lo, hi, [e for e in evs if all(e is not c for c in chosen)], False
        for scopes in (("species",), ("regional", "record", "subspecies", "extreme"),
                       ("seasonal",)):
            cands = [e for e in evs if e.scope in scopes
                     or (e.breeding and e.scope == "seasonal" and "regional" in scopes)]
            if cands:
                first = cands[0]
                conflict = scopes == ("species",) and any(
                    (e.lo, e.hi) != (first.lo, first.hi) for e in cands[1:])
                return (first if first.lo is not None else None,
                        first if first.hi is not None else None,
                        [e for e in evs if e is not first], conflict)
        return None, None, evs, False

    @property
    def elevation_min_m(self) -> float | None:
        lo = self.band()[0]
        return _num(lo.lo) if lo is not None and lo.lo is not None else None

    @property
    def elevation_max_m(self) -> float | None:
        hi = self.band()[1]
        return _num(hi.hi) if hi is not None and hi.hi is not None else None

    def to_dict(self, include_uncertain: bool = False) -> dict[str, Any]:
        """The record in the ``ranges.schema.json`` form.

        Parameters
        ----------
        include_uncertain : bool
            Map places given as possible/probable too (``--include-uncertain``);
            otherwise they are listed under ``excluded``.
        """
        countries: dict[str, dict[str, Any]] = {}
        admin1: dict[tuple[str, str], dict[str, Any]] = {}
        regions: dict[str, dict[str, Any]] = {}
        places = self.range_places(include_uncertain)
        implied_status: dict[str, dict[str, str]] = {}
        rank = {s: i for i, s in enumerate(("native", "reintroduced", "uncertain"))}

        def better(item: dict[str, Any], status: str) -> None:
            if rank.get(status, 9) < rank.get(item["status"], 9):
                item["status"] = status

        for p in places:
            if p.kind == "country":
                for iso3, _ in p.targets:
                    c = countries.setdefault(iso3, {"qualifiers": [], "evidence": [],
                                                    "status": p.status,
                                                    "alternatives": []})
                    c["evidence"].append(p.ev)
                    c["qualifiers"].extend(q for q in p.qualifiers if q not in c["qualifiers"])
                    c["alternatives"].extend(x for x in p.alternatives
                                             if x not in c["alternatives"])
                    better(c, p.status)
            elif p.kind == "admin1":
                for iso3, a1 in p.targets:
                    a = admin1.setdefault((iso3, a1 or ""), {"name": p.surface, "evidence": [],
                                                             "qualifiers": [],
                                                             "alternatives": [],
                                                             "status": p.status})
                    a["evidence"].append(p.ev)
                    a["qualifiers"].extend(q for q in p.qualifiers if q not in a["qualifiers"])
                    a["alternatives"].extend(x for x in p.alternatives
                                             if x not in a["alternatives"])
                    better(a, p.status)
                    if iso3 not in countries:
                        better(implied_status.setdefault(iso3, {"status": p.status}), p.status)
            elif p.kind == "region":
                r = regions.setdefault(p.name, {"units": list(p.targets), "evidence": [],
                                                "qualifiers": [], "status": p.status,
                                                "polygon": p.polygon_method})
                r["evidence"].append(p.ev)
                r["qualifiers"].extend(q for q in p.qualifiers if q not in r["qualifiers"])
                better(r, p.status)
                for iso3 in dict.fromkeys(t[0] for t in p.targets):
                    better(implied_status.setdefault(iso3, {"status": p.status}), p.status)
        # a country the text hedges is never implied by a region
        kept_ids = {id(p) for p in places}
        withheld = {x.iso3 for x in self.excluded
                    if x.iso3 and x.status in WITHHELD_STATUSES}
        withheld |= {t[0] for p in self.places if id(p) not in kept_ids
                     and p.status in WITHHELD_STATUSES for t in p.targets}
        unit_list, implied = assemble_units(places, self.country_names, withheld)
        for iso3, evs in implied.items():
            if iso3 not in countries:
                countries[iso3] = {"qualifiers": [], "evidence": list(evs), "alternatives": [],
                                   "status": implied_status.get(iso3, {}).get("status",
                                                                             "native")}

        def evl(evs: Iterable[Evidence]) -> list[dict[str, Any]]:
            uniq = {e.sort_key: e for e in evs}
            return [uniq[k].to_dict() for k in sorted(uniq)]

        def alts(d: dict[str, Any]) -> dict[str, Any]:
            return {"alternatives": d["alternatives"]} if d["alternatives"] else {}

        # the regions whose parts map a country (so units derived again from countries
        # and admin1, after a reviewer deletes 'units:', keep the part, not the country)
        parts_of: dict[str, list[str]] = {}
        for u in unit_list:
            if u["region"] and u["region"] not in parts_of.setdefault(u["iso3"], []):
                parts_of[u["iso3"]].append(u["region"])

        def via(iso3: str) -> dict[str, Any]:
            return {"regions": parts_of[iso3]} if parts_of.get(iso3) else {}

        out_countries = [
            {"iso3": iso3, "name": self.country_names.get(iso3, iso3),
             "qualifiers": c["qualifiers"], "status": c["status"],
             "evidence": evl(c["evidence"]), **alts(c), **via(iso3)}
            for iso3, c in sorted(countries.items())
        ]
        out_admin1 = [
            {"country_iso3": iso3, "name": a["name"], "boundary_name": a1,
             "qualifiers": a["qualifiers"], "status": a["status"],
             "evidence": evl(a["evidence"]), **alts(a)}
            for (iso3, a1), a in sorted(admin1.items())
        ]
        out_regions = [
            {"name": name, "units": [[i, a] for i, a in r["units"]],
             "countries": list(dict.fromkeys(i for i, _ in r["units"])),
             "polygon": r["polygon"] or "admin-1 units of the alias table (no polygon)",
             "qualifiers": r["qualifiers"], "status": r["status"],
             "evidence": evl(r["evidence"])}
            for name, r in sorted(regions.items())
        ]
        out_units = [dict(u, evidence=evl(u["evidence"])) for u in unit_list]
        excl: dict[tuple[str, str, str], dict[str, Any]] = {}
        kept = {id(p) for p in places}
        left_out = list(self.excluded) + [
            _Excluded(p.name if p.kind == "region" else (
                p.surface if p.kind == "admin1" else self.country_names.get(iso3, p.name)),
                None if p.kind == "region" else iso3, p.reason or p.status, p.ev, p.status)
            for p in self.places if id(p) not in kept
            for iso3 in ([None] if p.kind == "region" else list(dict.fromkeys(
                t[0] for t in p.targets)))]
        for x in left_out:
            e = excl.setdefault((x.name, x.iso3 or "", x.reason),
                                {"name": x.name, "iso3": x.iso3, "status": x.status,
                                 "reason": x.reason, "evidence": []})
            e["evidence"].append(x.ev)
        out_excl = [dict(v, evidence=evl(v["evidence"])) for _, v in sorted(excl.items())]
        lo, hi, others, _conflict = self.band()
        elev_ev = evl(e.ev for e in (lo, hi) if e is not None)
        out_other = [
            {"min_m": None if e.lo is None else _num(e.lo),
             "max_m": None if e.hi is None else _num(e.hi), "scope": e.scope,
             "evidence": evl([e.ev])}
            for e in others]
        return {
            "name": self.name,
            "common_names": list(self.common_names),
            "scientific_name": self.scientific_name,
            "rank": self.rank,
            "documents": sorted(self.documents),
            "countries": out_countries,
            "admin1": out_admin1,
            "regions": out_regions,
            "elevation_min_m": self.elevation_min_m,
            "elevation_max_m": self.elevation_max_m,
            "elevation_evidence": elev_ev,
            **preference_fields([(h, e.to_dict()) for h, e in self.prefs]),
            "elevation_other": out_other,
            "subspecies": sorted(self.subspecies),
            "excluded": out_excl,
            "units": out_units,
        }


# --------------------------------------------------------------------------- sentences

_SENT_END_RE = re.compile(
    r"(?P<p>[.!?]+)(?P<close>[\"'”’)\]]*"
    r"(?:\[(?:\d{1,3}|[a-z]|note\s*\d+|nb\s*\d+|citation needed)\])*)"
    r"(?:(?P<ws>\s+)(?=[\"'“‘(\[]?[A-Z0-9])|(?=[A-Z]))"
)
_LABEL_RE = re.compile(
    r"^\s*([A-Z][\w'’-]*(?:[ \t]+(?:[\w'’&/-]+|\([\w\s.]{1,12}\))){0,4})\.?[ \t]*:[ \t]*"
    r"(?!//)\S")
#: Words that make "Word." at the start of a paragraph a field label ("Distribution. ...",
#: "Subspecies and Distribution. ...", "Habitat. ...").
_LABEL_WORDS: tuple[str, ...] = (
    "taxonomy", "subspecies", "description", "descriptive", "voice", "food", "feeding", "diet",
    "breeding", "reproduction", "movements", "migration", "ecology", "behaviour", "behavior",
    "identification", "synonyms", "synonymy", "etymology", "remarks", "comments", "notes",
    "population", "measurements", "bibliography", "type locality", "field characters",
    "activity",  # HMW "Activity patterns."
)
_DOT_LABEL_RE = re.compile(
    r"^\s*([A-Z][a-z]+(?:[ \t]+(?:and|&|of|[A-Za-z][a-z]+)){0,3}"
    # HMW/HBW: "Movements, Home range and Social organization."
    r"|[A-Z][a-z]+,(?:[ \t]+(?:and|&|of|[A-Za-z][a-z]+)){1,5})\.[ \t]+(?=\S)")
_LOWER_LABEL_RE = re.compile(r"^\s*([a-z][a-z]+(?:[ \t]+[a-z]+){0,2})[ \t]*:[ \t]*(?!//)\S")
_ABBR_TRINOMIAL_LINE_RE = re.compile(r"\b[A-Z]\.\s?[a-z]\.\s?[a-z]{3,}\b")


#: IUCN presence and origin words of a country list ("Native, Extant (resident)",
#: "Native, Possibly Extant (resident)", "Native, Extinct Post-1500", "Extant & Origin
#: Uncertain") and of BirdLife's country table ("Pakistan  Possibly Extant  Native  Yes").
_PRESENCE = (r"(?:possibly\s+extant|extant|possibly\s+extinct|regionally\s+extinct|"
             r"extinct(?:\s+post-?\s?1500)?|presence\s+uncertain)")
_ORIGIN = (r"(?:native|introduced|reintroduced|vagrant|origin\s+uncertain|"
           r"assisted\s+colonisation)")
_SEASON = r"(?:\s*\((?:resident|breeding|non-?breeding|passage|seasonal[^()\n]{0,40})\))?"
_PRESENCE_WORDS = rf"(?:{_PRESENCE}|{_ORIGIN}|resident|breeding|non-?breeding|passage)"
_PRESENCE_LABEL_RE = re.compile(
    rf"^(?P<label>(?:{_ORIGIN}\s*[,;]?\s*)?{_PRESENCE}(?:\s*(?:&|and|,)\s*{_ORIGIN})?"
    rf"{_SEASON}|{_ORIGIN}(?=\s*:))\s*(?::\s*(?P<value>\S.*?))?\s*:?\s*$", re.I)
_PRESENCE_ROW_RE = re.compile(
    rf"^(?P<place>[^\s.:;][^.:;\t]{{0,60}}?)\s+(?P<label>{_PRESENCE}\s+{_ORIGIN})\b.*$",
    re.I)
#: Headings that end the list of values under a bare status label.
_LIST_END_WORDS: tuple[str, ...] = (
    "population", "additional data", "range map", "fao", "large marine", "systems",
    "ecology", "habitat", "threat", "conservation", "use and trade", "bibliography",
)


#: A line that is a place and its bracketed IUCN presence/origin label ("Nepal (native)",
#: "India (Possibly Extant)" under "Countries of occurrence"): a value, never a heading.
_STATUS_VALUE_LINE_RE = re.compile(
    rf"[A-Z][\w'’.,-]*(?:[ \t]+[\w'’.,-]+){{0,4}}[ \t]*[(\[][ \t]*{_PRESENCE_WORDS}"
    rf"(?:[ \t]*(?:[,;&/]|and)[ \t]*{_PRESENCE_WORDS})*[ \t]*[)\]]", re.I)


def _value_line(line: str) -> bool:
    """Whether a line under a bare status label ("Native, Extant (resident)") is one of
    its values ("China (Xinjiang)", "Afghanistan; Bhutan"), not a new heading or prose."""
    if line.endswith(":") or _label(line) is not None:
        return False
    if re.search(r"[.!?]\s+[A-Z]", line) or len(line.split()) > 40:
        return False
    return not (len(line.split()) <= 4 and _is_section(
        line, RANGE_SECTIONS + EXCLUDED_SECTIONS + _LABEL_WORDS + _LIST_END_WORDS))


def _label(block: str) -> str | None:
    """The field label a paragraph starts with ("Distribution:", "Distribution."), if any."""
    m = _LABEL_RE.match(block)
    if m:
        return m.group(1)
    known = RANGE_SECTIONS + EXCLUDED_SECTIONS + _LABEL_WORDS
    m = _DOT_LABEL_RE.match(block)
    if m and _is_section(m.group(1), known):
        return m.group(1)
    m = _LOWER_LABEL_RE.match(block)  # "distribution: M. himalayana is found ..."
    if m and _is_section(m.group(1), known):
        return m.group(1)
    return None


def _bare_label(sentence: str) -> bool:
    """Whether a sentence is only a field label written inline in flattened text
    ("Habitat.", "Subspecies and Distribution.", "Descriptive notes.")."""
    m = _DOT_LABEL_RE.match(sentence + " x")
    # with a comma, the first word is the label's ("Movements, Home range and Social
    # organization."; not an author and a journal: "Cullen, Notes Roy.")
    return bool(m) and m.end() == len(sentence) + 1 and _is_section(
        m.group(1).split(",")[0], RANGE_SECTIONS + EXCLUDED_SECTIONS + _LABEL_WORDS)


#: The section headings of a paper ("Abstract", "RESUMEN", "Summary", "KURZFASSUNG",
#: "Introduction"), in the languages of the abstracts read.
_PAPER_HEADINGS: tuple[str, ...] = (
    "abstract", "summary", "resumen", "resumo", "résumé", "resume", "riassunto",
    "zusammenfassung", "kurzfassung", "introduction", "introducción", "introdução",
    "einleitung")
_PAPER_HEADING_RE = re.compile(
    r"(?:" + "|".join(_PAPER_HEADINGS) + r")[ \t]*[:.]?", re.I)
#: A paper heading run into flattened text, capitalised or in capitals, then a
#: capitalised word or a colon: "... E-mail: x@y.org Abstract We describe a new species".
_RUN_IN_PAPER_HEADING_RE = re.compile(
    r"(?<=\s)(?:" + "|".join(f"{w.capitalize()}|{w.upper()}" for w in _PAPER_HEADINGS)
    + r")(?:[ \t]*:[ \t]*|[ \t]+)(?=[A-Z])")


def _paper_heading(line: str) -> bool:
    """Whether a line is only a paper's section heading ("ABSTRACT", "Resumen", "Summary:"):
    a heading even right after a line without final punctuation (an affiliation line
    ending in an e-mail address), so that it never glues the address to the abstract."""
    return bool(_PAPER_HEADING_RE.fullmatch(line))


def _paper_heading_cuts(chunk: str) -> set[int]:
    """Where a paper heading run into flattened text starts a sentence ("... Nairobi,
    Kenya. E-mail: x@y.org Abstract We describe ...": the abstract is not part of the
    address sentence before it)."""
    return {m.start() for m in _RUN_IN_PAPER_HEADING_RE.finditer(chunk) if m.start() > 0}


def _ends_terminal(line: str) -> bool:
    s = line.rstrip().rstrip("\"'”’)]*")
    return bool(s) and s[-1] in _TERMINAL


def _is_section(heading: str, words: Sequence[str]) -> bool:
    h = " ".join(_WORD_RE.findall(heading.lower()))
    # HMW/HBW's "Movements, Home range and Social organization" is about home ranges (an
    # animal's area of movement), not the taxon's range
    h = re.sub(r"\bhome[ -]ranges?\b", "homerange", h)
    # "Notes", "Taxonomic Notes" are notes; "Field notes and information" is a field
    # guide's account (range statements, photo records), not back matter
    return any(re.search(r"(?<!field )\b" + re.escape(w), h) for w in words)


#: A heading of notes on one subject ("Taxonomic Notes", "Ecological notes", "Notes on
#: taxonomy"), often written before an IUCN page's range: a section, not the back matter.
_QUALIFIED_NOTES_RE = re.compile(
    r"\s*(?:(?:taxonomic|taxonomy|ecological|ecology|general|additional|distribution(?:al)?|"
    r"systematic|nomenclatural|identification|habitat|range)\s+notes|notes\s+on\s+"
    r"(?!references|sources|literature)\w+)\b[^\n]*$", re.I)


def split_sentences(text: str) -> list[Sentence]:
    """Split ``text`` into sentences and headings (rule 1 of the module docs).

    >>> [s.text for s in split_sentences("Title\\nIt is rare.It occurs in Nepal.")]
    ['Title', 'It is rare.', 'It occurs in Nepal.']
    """
    out: list[Sentence] = []
    lines: list[tuple[int, int]] = []
    pos = 0
    for line in text.splitlines(keepends=True):
        body = line.rstrip("\r\n")
        lines.append((pos, pos + len(body)))
        pos += len(line)
    section = ""
    back_matter = False
    para = -1
    block: list[tuple[int, int]] = []
    after_label = False  # the previous line was a label without a value ("Countries occurrence:")
    value_section: str | None = None  # under a bare status label: its values' section

    def flush() -> None:
        nonlocal para
        if not block:
            return
        para += 1
        bstart, bend = block[0][0], block[-1][1]
        local = section
        label = _label(text[bstart:bend])
        if label and not back_matter:
            local = label
        _split_block(text, bstart, bend, para, local, out, not back_matter)
        block.clear()

    for lstart, lend in lines:
        raw = text[lstart:lend]
        stripped = raw.strip()
        if not stripped:
            flush()
            continue
        s = lstart + (len(raw) - len(raw.lstrip()))
        e = lstart + len(raw.rstrip())
        pm = None if back_matter else _PRESENCE_LABEL_RE.match(stripped)
        row = None if (back_matter or pm) else _PRESENCE_ROW_RE.match(stripped)
        if pm or row:
            # an IUCN status label ("Native, Possibly Extant (resident): Myanmar", or
            # bare, its values on the lines below) or a BirdLife table row: the label's
            # words give the places of the line (or of the lines below) their status
            flush()
            para += 1
            after_label = False
            m = pm or row
            assert m is not None
            label = " ".join(m.group("label").split())
            span = (m.start("label"), m.end("label"))
            if pm and not pm.group("value"):
                out.append(Sentence(s, e, text[s:e], para, label, heading=True,
                                    label_span=span))
                value_section = label
            else:
                out.append(Sentence(s, e, text[s:e], para, label, label_span=span))
                value_section = None
            continue
        if value_section is not None:
            if _value_line(stripped):
                flush()
                para += 1
                out.append(Sentence(s, e, text[s:e], para, value_section))
                continue
            value_section = None
        labelled = _label(stripped) is not None and not stripped.endswith(":")
        continuing = (bool(block) and not _ends_terminal(text[block[-1][0]:block[-1][1]])
                      and not labelled and not _paper_heading(stripped))
        nwords = len(stripped.split())
        # a heading: a short line without terminal punctuation, or a short line that is
        # only a label ("Subspecies and Distribution:"); never a field with a value
        # ("Upper elevation limit (metres): 4000") or a subspecies line ("Sakhalin - M. m.
        # sachalinensis")
        # the line after a bare label is its value ("Countries occurrence:" then
        # "France; Italy"), unless it is itself a label
        heading = (not continuing and nwords <= 6 and not labelled
                   and not _STATUS_VALUE_LINE_RE.fullmatch(stripped)
                   and not (after_label and not stripped.endswith(":"))
                   and not _ABBR_TRINOMIAL_LINE_RE.search(stripped)
                   and (not _ends_terminal(stripped) or stripped.endswith(":")
                        or _label(stripped + " x") == stripped[:-1]))
        if heading:
            flush()
            para += 1
            if not back_matter:
                section = stripped.rstrip(":.").strip()
                back_matter = _is_section(stripped, BACK_MATTER_SECTIONS) and not (
                    _QUALIFIED_NOTES_RE.match(stripped))
            out.append(Sentence(s, e, text[s:e], para, section, heading=True))
            # a bare elevation field ("Range elevation" then "2300 to 6100 m", Animal
            # Diversity Web) labels the next line too
            after_label = stripped.endswith(":") or bool(
                _FIELD_RE.match(stripped.rstrip(":") + ": 0"))
            continue
        if after_label:  # a label's value is a paragraph of its own
            flush()
            block.append((lstart, lend))
            flush()
            after_label = False
            continue
        if block and not continuing:
            flush()
        block.append((lstart, lend))
    flush()
    return out


#: IUCN assessment headings run into their text in flattened pages and books ("Geographic
#: Range This species is known ...", "Conservation Measures The species occurs in ...").
_RUN_IN_HEADING_RE = re.compile(
    r"(Geographic\s+Range|Range\s+Description|Population|Habitat\s+and\s+Ecology|"
    r"Major\s+Threats|Threats|Conservation\s+Measures|Conservation\s+Actions|"
    r"Use\s+and\s+Trade|Distribution\s+and\s+population|Data\s+Providers|Bibliography)"
    r"[ \t]+(?=[A-Z])")


def _inline_section(seg: str, first: bool) -> str | None:
    """The section a sentence inside a flattened paragraph opens: an IUCN heading run
    into its text ("Major Threats The primary threat ..."), or, after the paragraph's
    first sentence, a bare label ("Habitat.", "Descriptive notes.") or a known field label
    ("DISTRIBUTION: Arid areas ...")."""
    m = _RUN_IN_HEADING_RE.match(seg)
    if m:
        return " ".join(m.group(1).split())
    if first:
        return None
    if _bare_label(seg):
        return seg.rstrip(".").strip()
    lab = _label(seg)
    if lab and _is_section(lab, RANGE_SECTIONS + EXCLUDED_SECTIONS + _LABEL_WORDS):
        return lab
    return None


#: Field labels whose text is elevation context ("Habitat. Puna; 3000-5000 m.").
_HABITAT_SECTIONS = ("habitat", "elevation", "altitude", "hab")

#: Abbreviations of altitude in floras ("alt. 3000-4500 m", "elev. 1200 m"): the period
#: before a number ends no sentence.
_ALTITUDE_ABBR = frozenset({"alt", "altit", "elev", "elevn"})


def _split_block(text: str, start: int, end: int, para: int, section: str,
                 out: list[Sentence], inline: bool = True) -> None:
    chunk = text[start:end]
    cuts = [0]
    for m in _SENT_END_RE.finditer(chunk):
        p_end = m.end("close")
        before = chunk[:m.start("p")]
        word = re.search(r"([\w.]+)$", before)
        w = word.group(1) if word else ""
        if m.group("p") == ".":
            if re.fullmatch(r"[A-Z]", w) or w.lower().rstrip(".") in ABBREVIATIONS:
                continue
            if w.lower() in _ALTITUDE_ABBR and re.match(r"\s*(?:c\.|ca\.|\(?\d)", chunk[p_end:]):
                continue  # floras: "Alpine slopes, alt. 3000-4500 m"
            if re.fullmatch(r"(?:[A-Z]\.)+[A-Z]", w) and re.match(r"[A-Z]\.", chunk[p_end:]
                                                                   .lstrip()):
                continue  # dotted initials split by a space, "U.S. S.R.", are one name
            if m.group("ws") is None and not (w and w[-1].islower()):
                continue
        elif m.group("ws") is None and (not w or m.end("close") == m.end("p")):
            continue  # "Hebei, ?Liaoning": a hedge before a name ends no sentence
        cuts.append(p_end)
    cuts = sorted(set(cuts) | _paper_heading_cuts(chunk))
    cuts.append(len(chunk))
    for k, (a, b) in enumerate(zip(cuts, cuts[1:], strict=False)):
        seg = chunk[a:b]
        if not seg.strip():
            continue
        s = start + a + (len(seg) - len(seg.lstrip()))
        e = start + a + len(seg.rstrip())
        if inline:
            # a flattened page: a field label inside the paragraph sets the section of
            # its sentence and the ones after it
            sec = _inline_section(text[s:e], k == 0)
            if sec is not None:
                section = sec
        out.append(Sentence(s, e, text[s:e], para, section))


# --------------------------------------------------------------------------- taxa

_BINOMIAL_RE = re.compile(r"\b([A-Z][a-z]{2,})\s+([a-z]{3,})\b")
_ABBR_BINOMIAL_RE = re.compile(r"\b([A-Z])\.\s?([a-z]{3,})\b")
_PAREN_BINOMIAL_RE = re.compile(r"\(\s*([A-Z][a-z]{2,})\s+([a-z]{3,})\b[^()\n]{0,80}\)")
_PAREN_GENUS_RE = re.compile(r"\(\s*(?:genus\s+)?([A-Z][a-z]{2,})\s*\)")
_EPITHET_STOP = frozenset("""
http https www doi
and are the was were has have had for with from that this which who species spp genus
also not but can may its their into than then there these those being been family
contains includes include living live lives occurs occur found is deer musk
all any are as at be by did does done each few her him his how its may more most much must
nor now off one only onto other our out over own per same she should some such too under
upon very was way were what when where while whom whose why will with would you your
inhabits inhabit inhabited ranges range ranged lived lives known called named seen
recorded reported distributed native endemic often usually mainly mostly generally
della delle dello degli dei dos das los las les des del alla alle allo agli nel nella
nelle sul sulla con tra fra para por una uno
represents represent comprises comprise consists differs resembles uses shows appears
remains reaches extends breeds feeds prefers requires belongs seems becomes grows
von aus mit bei und der die das den dem für zur zum ein eine einer
""".split())
#: Capitalised words that never start a binomial ("The species", "In China").
_GENUS_STOP = frozenset("""
the this that these those there their they them then than its it in on at of for from
to by with as and or but not no nor a an some many most much more all any each every both
few several such other another one two three four five six seven eight nine ten
males females male female adults adult young juveniles juvenile however although while
when where which who what why how during after before since until unless because
if also only even still just like unlike recent studies scientists people humans
species subspecies genus family order class phylum kingdom tribe common scientific
flora fauna
""".split())
_EPITHET_STOP = _EPITHET_STOP | _GENUS_STOP
#: Words naming kinds of places: "Zangbo river", "Anjaw district" are no binomials.
_PLACE_WORDS = frozenset("""
river rivers district districts county province provinces lake lakes mountain mountains
valley valleys region regions park reserve sanctuary forest forests water area areas state
states island islands range ranges basin plateau desert sea gulf bay creek pass peak
national city town village prefecture municipality division alps andes highlands lowlands
hills coast coasts plains
""".split())

#: Head nouns that are never a taxon's group noun ("a small mammal (Moschus meminna)").
_HEAD_STOP = frozenset("""
species subspecies genus family order class taxon taxa form forms population populations
animal animals mammal mammals creature creatures name names one ones member members
relative relatives type types kind kinds variety varieties individual individuals
article articles paper papers abstract summary journal chapter volume issue page pages
report review note notes communication letter editorial print access citation citations
word words keyword keywords
on of for in from to with about sur sobre su sul sulla über uber von zur zum de del des du
di da em en para per pour
""".split())  # the second part: a page's publication header ("Research Article"); the
# third: prepositions before a name ("données biogéographiques sur Bombus jonellus")
_SYN_GAP_RE = re.compile(r"^\s*,?\s*(?:or|also\s+known\s+as|aka|also\s+called|"
                         r"sometimes\s+called|known\s+as)\s+(?:the\s+)?$", re.I)
#: Words before a bare group noun that make it a statement about the genus even in a
#: single-species document ("all musk deer", "other musk deer").
_GENERIC_QUANT = frozenset({"all", "other", "most", "many", "several", "some", "every",
                            "each", "various", "different", "seven", "six", "five", "four"})


@dataclass
class _TaxonMention:
    start: int
    end: int
    key: tuple[str, str]  # ("sci", name) | ("name", normalized) | ("genus", group)
    display: str | None = None  # common name as written (species)
    initial: bool = False  # starts its sentence (capital letter not meaningful)
    common: str | None = None  # normalized common name (species)
    group: str = ""  # group noun (head) of a common name
    generic: bool = False  # bare group noun with a generic quantifier ("all musk deer")
    subspecies: str | None = None  # trinomial as written in full ("Moschus m. parvipes")


def _singular(word: str) -> str:
    w = word.lower()
    if len(w) > 4 and w.endswith(("ches", "shes", "xes", "sses")):
        return w[:-2]
    if len(w) > 3 and w.endswith("s") and not w.endswith(("ss", "us", "is")):
        return w[:-1]
    return w


def _norm_name(words: Sequence[str], group: str) -> str:
    return " ".join([w.lower().replace("-", " ") for w in words] + [group])


def _group_re(groups: Iterable[str]) -> re.Pattern[str]:
    alts = []
    for g in sorted(groups, key=len, reverse=True):
        body = r"[\s-]+".join(re.escape(w) for w in g.split())
        alts.append(body if g in GROUP_NOUNS else body + r"(?:e?s)?")
    return re.compile(rf"\b(?:{'|'.join(alts)})\b", re.I)


def _group_of(surface: str, groups: dict[str, bool]) -> str:
    f = re.sub(r"[\s-]+", " ", surface.lower())
    if f in groups:
        return f
    words = f.split()
    words[-1] = _singular(words[-1])
    s = " ".join(words)
    return s if s in groups else next(iter(groups))


_NEXT_WORDS_RE = re.compile(r"[ \t]+([A-Z][\w'’-]*)(?:[ \t]+([\w'’-]+))?")


def _proper_name_tail(after: str) -> bool:
    """Whether a group noun is followed, on its line, by a capitalised word that does
    not start a binomial ("Musk Deer Sanctuary" yes; "musk deer Moschus moschiferus" no)."""
    m = _NEXT_WORDS_RE.match(after)
    if not m:
        return False
    first, second = m.group(1), m.group(2) or ""
    binomial = (re.fullmatch(r"[A-Z][a-z]{2,}", first) is not None
                and re.fullmatch(r"[a-z]{3,}", second) is not None
                and second not in _EPITHET_STOP)
    return not binomial


_NAME_WORD_RE = re.compile(r"([^\W\d_][\w'’-]*)[ \t]+$")


# a particle may lead ("(de Blainville 1816)")
_AUTHORITY = (r"\(?(?:(?:de|d'|du|da|del|van|von|le|la)[ \t]+)?[A-Z][\w'’.-]*"
              r"(?:[ \t]+(?:&|and|et|ex|in|de|von|van|du|la|[A-Z][\w'’.-]*)"
              r")*,?[ \t]*(?:1[6-9]|20)\d\d\)?")
#: A binomial written with its authority and year ("Ochotona macrotis (Günther, 1875)").
# the authority may follow a dash in flattened headers ("Tetraogallus caucasicus --
# (Pallas, 1811)")
_AUTH_BINOMIAL_RE = re.compile(
    rf"\b([A-Z][a-z]{{2,}})[ \t]+([a-z]{{3,}})[ \t]+(?:(?:--|[–—])[ \t]+)?{_AUTHORITY}")
#: A binomial with a botanical authority, the basionym's author in brackets and the
#: combining author abbreviated after it ("Manostachya staelioides (K.Schum.) Bremek.",
#: "Multidentia crassa (Hiern) Bridson & Verdc.", "Leptactina benguelensis (Benth. &
#: Hook.f.) R.D.Good"): a flora's name, wherever it stands in a flattened line.
_BOT_AUTHOR = r"[A-Z][A-Za-z'’-]*\.?(?:[ \t]?[A-Z][A-Za-z'’-]*\.?)*(?:[ \t]?f\.)?"
_BOT_AUTHORS = rf"{_BOT_AUTHOR}(?:[ \t]*(?:&|ex|et)[ \t]*{_BOT_AUTHOR})*"
_BOT_AUTH_BINOMIAL_RE = re.compile(
    rf"\b([A-Z][a-z]{{2,}})[ \t]+([a-z]{{3,}})[ \t]+\({_BOT_AUTHORS}\)[ \t]*"
    rf"(?=[A-Z])(?={_BOT_AUTHORS})(?=[^ \t;,]*\.|[A-Z][A-Za-z'’-]*[ \t]*&)")
#: A binomial alone on its line (a title or header line), authority allowed.
_LINE_BINOMIAL_RE = re.compile(
    rf"^[ \t=*#•-]*([A-Z][a-z]{{2,}})[ \t]+([a-z]{{3,}})(?:[ \t]+(?:{_AUTHORITY}|[a-z]{{3,}}))?"
    r"[ \t.=*#]*$", re.M)
#: A numbered treatment heading ("82. Saussurea montana J. Anthony, Notes ...", "280
#: Marmota himalayana") or a binomial followed by its author at a line start.
_NUMBERED_BINOMIAL_RE = re.compile(
    r"^[ \t]*(?:\d+[a-z]?\.?[ \t]+|[•●*][ \t]*)?([A-Z][a-z]{2,})[ \t]+([a-z]{3,})"
    r"(?=[ \t]*,?[ \t]+(?:(?:subsp|var|ssp)\.|[a-z]{3,}[ \t]+\(?[A-Z]|"
    r"\(?[A-Z][\w'’.-]*(?:[ \t,.)&]|$))|[ \t]*$)", re.M)
#: A binomial with a subgenus ("Marmota (Marmota) himalayana").
_SUBGENUS_BINOMIAL_RE = re.compile(
    r"\b([A-Z][a-z]{2,})[ \t]+\(([A-Z][a-z]{2,})\)[ \t]+([a-z]{3,})\b")
#: A binomial after a name cue ("Scientifically named Lophophorus impejanus").
_CUED_BINOMIAL_RE = re.compile(
    r"\b(?:scientific(?:ally)?\s+(?:name(?:d)?|known\s+as|called)|binomial(?:\s+name)?|"
    r"latin\s+name|known\s+to\s+science\s+as|species)\s*(?:is|:|,)?\s*"
    r"([A-Z][a-z]{2,})\s+([a-z]{3,})\b", re.I)
#: "the genus Lophophorus", "Genus: Nanorana" make the genus known.
_GENUS_WORD_RE = re.compile(r"\b(?i:genus)\s*:?\s+([A-Z](?:[a-z]{2,}|[A-Z]{2,}))\b")
#: A genus named by counting its species: "two Eremias species (E. arguta and E.
#: stummeri)", "all Kingdonella species", "three Liolaemus spp.".
_SPECIES_COUNT_GENUS_RE = re.compile(
    r"\b(?i:two|three|four|five|six|seven|eight|nine|ten|several|both|all|these|the|"
    r"many|some|other|\d+)[ \t]+([A-Z][a-z]{3,})[ \t]+(?:species|spp\.)")


def _genera_of_species_counts(text: str) -> set[str]:
    """Genera named by counting their species (:data:`_SPECIES_COUNT_GENUS_RE`), when the
    word looks like a Latin genus and is never written in lower case in the text ("two
    Eremias species"; not "two Andean species", "all Bird species")."""
    lower = {w.lower() for w in re.findall(r"\b[a-z]{4,}\b", text)}
    return {m.group(1) for m in _SPECIES_COUNT_GENUS_RE.finditer(text)
            if _LATIN_GENUS_END_RE.search(m.group(1)) and m.group(1).lower() not in lower
            and m.group(1).lower() not in _GENUS_STOP | _PLACE_WORDS}


#: A common name and its binomial joined by a dash or colon on one line
#: ("Clark's Nutcracker -- Nucifraga columbiana").
_NAME_SEP_BINOMIAL_RE = re.compile(
    r"([^\W\d_][\w'’-]*(?:[ \t]+[^\W\d_][\w'’-]*){0,3})[ \t]*(?:--|[-–—:,])[ \t]*"
    r"([A-Z][a-z]{2,})[ \t]+([a-z]{3,})\b")


def _ok_pair(genus: str, epithet: str) -> bool:
    # "Pyrenean chamois", "Cantabrian chamois": a place adjective is no genus
    return (epithet not in _EPITHET_STOP and genus.lower() not in _GENUS_STOP
            and epithet not in _PLACE_WORDS
            and not re.search(r"(?:ean|ian|ese|ish|ern)$", genus))


def _strong_binomials(text: str) -> list[tuple[int, int, str, str]]:
    """Binomials that are taxa whatever their genus (rule 2): bracketed, with an
    authority, alone on a line, after a name cue, or after a common name and a dash."""
    out: list[tuple[int, int, str, str]] = []
    lower_words = {w for w in re.findall(r"\b[a-z]{3,}\b", text)}
    for m in _SUBGENUS_BINOMIAL_RE.finditer(text):
        if _ok_pair(m.group(1), m.group(3)):
            out.append((m.start(1), m.end(3), m.group(1), m.group(3)))
    for rx in (_PAREN_BINOMIAL_RE, _AUTH_BINOMIAL_RE, _LINE_BINOMIAL_RE, _CUED_BINOMIAL_RE,
               _NUMBERED_BINOMIAL_RE, _BOT_AUTH_BINOMIAL_RE):
        for m in rx.finditer(text):
            g, e = m.group(1), m.group(2)
            if rx is _CUED_BINOMIAL_RE and not (g[0].isupper() and e.islower()):
                continue
            if rx is _PAREN_BINOMIAL_RE and _ENGLISH_END_RE.search(e):
                continue  # "(Discussion copyrighted by Flora of North America ...)"
            if rx in (_LINE_BINOMIAL_RE, _NUMBERED_BINOMIAL_RE,
                      _BOT_AUTH_BINOMIAL_RE) and not _latinish(
                    g, e, lower_words):
                continue  # "Scientific classification", "Needs updating"
            if _ok_pair(g, e):
                out.append((m.start(1), m.end(2), g, e))
    abbrs = {(m.group(1), m.group(2)) for m in _ABBR_BINOMIAL_RE.finditer(text)}
    abbr_at = [(m.start(), m.group(1)) for m in _ABBR_BINOMIAL_RE.finditer(text)]
    # "Otocolobus manul ... O. m. manul", "O. m. ferrugineus": subspecies written with
    # both initials of a binomial make it a taxon whatever its epithet's ending
    tri_initials = {(m.group(1), m.group(2)) for m in _ABBR_TRINOMIAL_RE.finditer(text)}
    for m in _BINOMIAL_RE.finditer(text):
        g, e = m.group(1), m.group(2)
        if not _ok_pair(g, e) or _ENGLISH_END_RE.search(e):
            continue
        # "Lagopus leucura ... L. leucura"; a list "Sturnira aratathomasi, S. erythromos";
        # the genus abbreviated elsewhere ("Lophophorus impejanus ... L. lhuysii"); after a
        # capitalised common name ("Himalayan Monal Lophophorus impejanus occurs")
        initial_used = any(i == g[0] for _a, i in abbr_at)
        before = text[max(0, m.start() - 60):m.start()]
        appos = re.search(r"(?:[A-Z][a-z'’-]+[ \t]+){1,3}$", before)
        # after a common name introduced by an article ("the moss mouse Pseudohydromys
        # fuscus", "the Sooty Owl, Tyto tenebricosa"), when the genus looks Latin too
        appos = appos or (len(g) >= 4 and bool(_ARTICLE_APPOS_RE.search(before)
                                               or _SPECIES_APPOS_RE.search(before))
                          and bool(_LATIN_GENUS_END_RE.search(g)))
        if (g[0], e) in abbrs or any(
                m.end() <= a <= m.end() + 40 and i == g[0] for a, i in abbr_at) or (
                (initial_used or appos) and _latinish(g, e, lower_words)) or (
                (g[0], e[0]) in tri_initials and g.lower() not in lower_words) or (
                _VERNACULARS_AFTER_RE.match(text, m.end())):
            out.append((m.start(1), m.end(2), g, e))
    for m in _NAME_SEP_BINOMIAL_RE.finditer(text):
        g, e = m.group(2), m.group(3)
        line_start = text.rfind("\n", 0, m.start()) + 1
        # only on a short line (a header "Common Name -- Genus species")
        line_end = text.find("\n", m.end())
        line = text[line_start:line_end if line_end >= 0 else len(text)]
        if _ok_pair(g, e) and len(line.split()) <= 10 and _latinish(g, e, lower_words):
            out.append((m.start(2), m.end(3), g, e))
    # a binomial that is the subject of a record statement ("Allium kermesinum is new for
    # Austria", "Carex aperta ... were newly documented in Wyoming"), and a genus written
    # with two or more epithets ("Cercyon alpinus, Cercyon castaneipennis"), when the
    # pairs look Latin
    by_genus: dict[str, set[str]] = {}
    for m in _BINOMIAL_RE.finditer(text):
        g, e = m.group(1), m.group(2)
        if not _ok_pair(g, e) or not _LATIN_GENUS_END_RE.search(g) \
                or not _latinish(g, e, lower_words):
            continue
        by_genus.setdefault(g, set()).add(e)
        if _RECORD_VERB_AFTER_RE.match(text, m.end()):
            out.append((m.start(1), m.end(2), g, e))
    for m in _BINOMIAL_RE.finditer(text):
        if len(by_genus.get(m.group(1), ())) >= 2 and m.group(2) in by_genus[m.group(1)]:
            out.append((m.start(1), m.end(2), m.group(1), m.group(2)))
    out.extend(_nomen_novum_binomials(text))
    return sorted(set(out) | _listed_with(text, out, lower_words))


#: A binomial (or trinomial) marked as a name made in the text: "Pristimantis x sp. nov.",
#: "Boloria y spec. nov.", "Erebia z w subspec. nov.", "Hyla v sp. n.".
_NOMEN_NOVUM_AFTER_RE = re.compile(
    r"(?:[ \t]+[a-z]{3,})?[ \t]*,?[ \t]+(?:gen\.\s?(?:nov|n)\.[ \t]*(?:et|&)[ \t]*)?"
    r"(?:sp|spec|ssp|subsp|subspec|comb|stat)\.\s?(?:nov|n)\.")


def _nomen_novum_binomials(text: str) -> list[tuple[int, int, str, str]]:
    """Binomials followed by the mark of a new name ("sp. nov.", "subspec. nov."): taxa
    whatever their genus, as a name with an authority is."""
    return [(m.start(1), m.end(2), m.group(1), m.group(2))
            for m in _BINOMIAL_RE.finditer(text)
            if _ok_pair(m.group(1), m.group(2))
            and _NOMEN_NOVUM_AFTER_RE.match(text, m.end())]


#: After a binomial (and its authority), a statement that it is recorded somewhere.
_RECORD_VERB_AFTER_RE = re.compile(
    rf"(?:[ \t]*,?[ \t]*{_AUTHORITY})?[ \t]+(?:is|are|was|were|has[ \t]+been|have[ \t]+been)"
    r"[ \t]+(?:\w+ly[ \t]+)?(?:new|recorded|reported|found|known|endemic|native|"
    r"distributed|restricted|confined|documented|collected|present|widespread)\b")


#: What separates the items of a list of binomials: ", ", " and ", "; ", a trinomial's
#: third word or an abbreviated binomial in between ("A b c, D. e, F g").
_LIST_SEP_RE = re.compile(
    r"(?:[ \t]+[a-z]{3,})?(?:[ \t]*,[ \t]*(?:[A-Z]\.[ \t]?[a-z]{3,}(?:[ \t]+[a-z]{3,})?"
    r"[ \t]*,[ \t]*)*|[ \t]*;[ \t]*(?:[a-z]+:[ \t]*)?(?:and[ \t]+)?(?:the[ \t]+[a-z]+[ \t]+)?|"
    r"[ \t]+(?:and|&|or)[ \t]+|[ \t]*,[ \t]*(?:and|&)[ \t]+)")


#: Between a binomial and an abbreviation of its genus in one list ("Nyctimystes
#: disrupter, N. foricula, N. kubori"): separators and other abbreviated binomials.
_ABBR_LIST_GAP_RE = re.compile(
    r"(?:[ \t]+[a-z]{3,})?(?:[ \t]*(?:,|and|&)[ \t]*(?:and[ \t]+)?"
    r"(?:[A-Z]\.[ \t]?[a-z]{3,}(?:[ \t]+[a-z]{3,})?)?)*[ \t]*(?:,|and|&)?[ \t]*")


def _listed_with(text: str, strong: Sequence[tuple[int, int, str, str]],
                 lower_words: set[str]) -> set[tuple[int, int, str, str]]:
    """Binomial-shaped pairs listed right next to a strong binomial ("Ambystoma rivulare,
    Pseudoeurycea bellii bellii, P. leprosa"): Latin genus and epithet endings, a genus
    not written in lower case in the text."""
    found = set(strong)
    todo = list(strong)
    while todo:
        a, b, _g, _e = todo.pop()
        nxt = re.compile(_LIST_SEP_RE.pattern + r"([A-Z][a-z]{2,})[ \t]+([a-z]{3,})\b")
        m = nxt.match(text, b)
        cands = [m] if m else []
        for p in re.finditer(r"\b([A-Z][a-z]{2,})[ \t]+([a-z]{3,})\b", text[max(0, a - 120):a]):
            if _LIST_SEP_RE.fullmatch(text[max(0, a - 120) + p.end():a]):
                cands.append(p)
        for c in cands:
            off = 0 if c is m else max(0, a - 120)
            g, e = c.group(c.lastindex - 1), c.group(c.lastindex)
            item = (off + c.start(c.lastindex - 1), off + c.end(c.lastindex), g, e)
            if item in found or not _ok_pair(g, e) or not _LATIN_GENUS_END_RE.search(g) \
                    or not _latinish(g, e, lower_words):
                continue
            found.add(item)
            todo.append(item)
    return found - set(strong)


#: English endings, singular or plural ("Field observations", "Species descriptions").
_ENGLISH_END_RE = re.compile(
    r"(?:(?:tion|sion|ing|ness|ment|ism|ist|ure|ence|ance)s?|ed|ly|ity|ities|nesses)$")
#: After a binomial, its names in other languages (the HMW/HBW heading "28. Pallas's Cat
#: Otocolobus manul French: Manul / German: Manul / Spanish: Manul").
_VERNACULARS_AFTER_RE = re.compile(
    r"[ \t]*(?:\r?\n[ \t]*)?French[ \t]*:")
#: A common name introduced by an article right before a binomial, lower-case head
#: ("the moss mouse ", "a pygmy possum ", "the Pygmy ringtail ", "the Sooty Owl, ").
_FUNCTION_WORD = (r"(?!(?:the|of|in|on|at|and|or|to|from|with|by|for|a|an|as|is|are|was|"
                  r"were|its|their|this|that|these|those|which|genus|species|family)\b)")
_ARTICLE_APPOS_RE = re.compile(
    rf"\b(?:[Tt]he|[Aa]n?)[ \t]+(?:{_FUNCTION_WORD}[A-Za-z][\w'’-]*[ \t]+){{0,2}}"
    rf"{_FUNCTION_WORD}(?:[a-z][\w'’-]*[ \t]+|[A-Za-z][\w'’-]*,[ \t]+)$")
#: A binomial named as a species ("a new species of , Nectarinia rufipennis", "the
#: species Tyto alba", "a distinct species of sunbird, Nectarinia rufipennis").
_SPECIES_APPOS_RE = re.compile(
    r"\b(?:species|subspecies|taxon)(?:[ \t]+of(?:[ \t]+[a-z]+)?)?[ \t]*,?[ \t]*$")
#: Endings of Latin genus names (Pseudohydromys, Rattus, Emoia, Natrix, Tyto, Litoria).
_LATIN_GENUS_END_RE = re.compile(
    r"(?:us|a|um|is|ys|ops|ps|x|on|es|o|er|as|os|yx|ma|ix)$")


def _latinish(genus: str, epithet: str, lower_words: set[str]) -> bool:
    """Whether an unbracketed pair without authority looks like a binomial: a Latin
    epithet ending, no English ending, and a genus that is not an English word of the
    same text written in lower case ("Scientific classification", "Binomial name")."""
    return (bool(_LATIN_END_RE.search(epithet)) and not _ENGLISH_END_RE.search(epithet)
            and genus.lower() not in lower_words and genus.lower() not in NON_TAXON_MODIFIERS)


def _title_name(text: str) -> tuple[int, int, str] | None:
    """The document title when it is a common name: (start, end, phrase).

    The first non-blank line, stripped of decoration ("= Andean flamingo ="), of 2 to
    5 words, no binomial, whose phrase is written again later in the text.
    """
    m = re.match(r"\s*", text)
    start = m.end() if m else 0
    end = text.find("\n", start)
    end = len(text) if end < 0 else end
    line = text[start:end]
    # a page title with a site or section after a separator: "Mountain Goat - Range and
    # Habitat", "Snow Leopard | Animal Diversity Web"
    sep = re.search(r"\s(?:-|–|—|\|)\s|:\s", line)
    if sep and sep.start() > 0:
        line = line[:sep.start()]
    core = re.match(r"^[\s=*#-]*(.*?)[\s=*#:-]*$", line)
    if not core:
        return None
    phrase = core.group(1)
    words = phrase.split()
    if not 2 <= len(words) <= 5 or not all(re.fullmatch(r"[^\W\d_][\w'’-]*", w) for w in words):
        return None
    if any(w.lower() in NON_TAXON_MODIFIERS - {"red", "black"} for w in words[:-1]):
        return None
    if re.fullmatch(r"[A-Z][a-z]+ [a-z]+", phrase):
        return None  # a binomial
    rest = text[end:]
    if len(words) == 2 and re.search(
            rf"\b{re.escape(words[0].capitalize())}\s+{re.escape(words[1].lower())}\b", rest):
        return None  # a binomial in title case ("Tetraogallus Caucasicus"), written later
    pat = r"[\s-]+".join(re.escape(w) for w in words)
    if not re.search(rf"\b{pat}", rest, re.I):
        return None
    s0 = start + core.start(1)
    return (s0, s0 + len(phrase), phrase)


def _document_groups(text: str, strong: Sequence[tuple[int, int, str, str]] = ()
                     ) -> dict[str, bool]:
    """Group nouns of a document: ``{phrase: is_builtin}``.

    Built-in :data:`GROUP_NOUNS`, plus the head noun of every common name written
    directly before a bracketed binomial ("snow leopard (Panthera uncia)" ->
    "leopard"; a phrase ending in a built-in group keeps it), before a binomial on
    the next line or after a dash ("Black Musk-deer / Moschus fuscus", "Clark's
    Nutcracker -- Nucifraga columbiana", "snow leopard Panthera uncia"), and of a
    title that is a common name ("Impeyan Pheasant").
    """
    groups: dict[str, bool] = dict.fromkeys(GROUP_NOUNS, True)
    builtin = _group_re(GROUP_NOUNS)
    lower_words = set(re.findall(r"\b[a-z]{3,}\b", text))

    stop = _HEAD_STOP | NON_TAXON_MODIFIERS | _EPITHET_STOP | _GENUS_STOP

    def head_noun(before: str) -> tuple[str, re.Match[str]] | None:
        """The singular head noun of a common name ending ``before``, if it may be one."""
        if re.search(rf"(?:{builtin.pattern})\s*$", before, re.I):
            return None
        w = _NAME_WORD_RE.search(before)
        if not w or not re.fullmatch(r"[A-Za-z][a-z]{2,}(?:-[a-z]+)?", w.group(1)):
            return None
        h = _singular(w.group(1))
        return None if h in stop else (h, w)

    def learn(before: str) -> None:
        found = head_noun(before)
        if found is None:
            return
        h, w = found
        if w.group(1).lower() in stop:
            return
        # a head needs a modifier before it ("snow leopard"), else it is no common name
        if not re.search(r"[^\W\d_][\w'’-]*[ \t]+$", before[:w.start(1)]):
            return
        groups.setdefault(h, False)

    for m in _PAREN_BINOMIAL_RE.finditer(text):
        # directly before a bracketed binomial a single word is enough ("Leopard (...)")
        if _ok_pair(m.group(1), m.group(2)):
            found = head_noun(text[max(0, m.start() - 80):m.start()])
            if found is not None:
                groups.setdefault(found[0], False)
    for a, b, _g, _e in strong:
        line_start = text.rfind("\n", 0, a) + 1
        before = text[line_start:a]
        sep = re.search(r"[ \t]*(?:--|[-–—:,])?[ \t]*$", before)
        head_part = before[:sep.start()] if sep else before
        if head_part.strip():
            prev_pair = re.search(r"\b([A-Z][a-z]{2,})[ \t]+([a-z]{3,})[ \t]*$", head_part)
            if sep and "," in sep.group() and prev_pair \
                    and _LATIN_GENUS_END_RE.search(prev_pair.group(1)) \
                    and prev_pair.group(1).lower() not in lower_words \
                    and not _ENGLISH_END_RE.search(prev_pair.group(2)):
                continue  # a list of binomials ("Ambystoma rivulare, Pseudoeurycea bellii")
            learn(head_part + " ")
            continue
        # a binomial alone on its line, its common name on the next (Animal Diversity
        # Web's header "Lagopus muta" / "rock ptarmigan")
        nxt = _name_line_after(text, b)
        if nxt is not None:
            learn(text[nxt[0]:nxt[1]] + " ")
        # binomial at the start of its line: the previous line, if a short header
        prev_end = line_start - 1
        if prev_end <= 0:
            continue
        prev_start = text.rfind("\n", 0, prev_end) + 1
        prev = text[prev_start:prev_end].strip(" \t=*#")
        if prev and len(prev.split()) <= 5 and not _ends_terminal(prev):
            learn(prev + " ")
    title = _title_name(text)
    if title is not None:
        learn(title[2] + " ")
    if not strong and len(groups) == len(GROUP_NOUNS) and not _group_re(GROUP_NOUNS).search(text):
        # nothing names a taxon yet: a capitalised common name that is the subject of a
        # range statement ("Himalayan marmots are found ...")
        for m in _SUBJECT_NAME_RE.finditer(text):
            words = m.group(1).split()
            stem = r"[\s-]+".join(re.escape(w) for w in words[:-1] + [_singular(words[-1])])
            if len(re.findall(rf"\b{stem}", text, re.I)) >= 2:  # written at least twice
                learn(m.group(1) + " ")
    return groups


def _name_line_after(text: str, end: int) -> tuple[int, int] | None:
    """The next line's span when the binomial ending at ``end`` is alone on its line
    (an authority may follow) and that next non-blank line is a short common name: 2 to
    4 words of letters ("rock ptarmigan", "Large-eared Pika"), no section heading."""
    line_end = text.find("\n", end)
    if line_end < 0:
        return None
    rest = text[end:line_end]
    if rest.strip() and not re.fullmatch(r"\s*\(?[A-Z][^\n]{0,60}\d{4}\)?\s*", rest):
        return None
    line_start = text.rfind("\n", 0, end) + 1
    if re.search(r"[^\W\d_]", text[line_start:end].split()[0] if text[line_start:end].split()
                 else "") is None:
        return None
    m = re.match(r"(?:[ \t]*\r?\n)+[ \t]*([^\W\d_][\w'’-]*(?:[ \t]+[^\W\d_][\w'’-]*){1,3})"
                 r"[ \t]*(?:\r?\n|$)", text[line_end:])
    if not m:
        return None
    phrase = m.group(1)
    if _is_section(phrase, RANGE_SECTIONS + EXCLUDED_SECTIONS + _LABEL_WORDS) or re.fullmatch(
            r"[A-Z][a-z]+ [a-z]+", phrase):
        return None  # a heading ("Geographic Range") or another binomial
    # written again (as "Rock ptarmigans ..."), like a title that is a common name: a
    # page heading ("Scientific Information") is not
    words = phrase.split()
    pat = r"[\s-]+".join(re.escape(w) for w in words[:-1] + [_singular(words[-1])])
    if not re.search(rf"\b{pat}", text[line_end + m.end(1):], re.I):
        return None
    return (line_end + m.start(1), line_end + m.end(1))


_SUBJECT_NAME_RE = re.compile(
    r"\b([A-Z][a-z]+(?:[ -][a-z]+)?[ \t]+[a-z]{3,})[ \t]+(?:are|is|were|was)[ \t]+"
    r"(?:\w+ly[ \t]+)?(?:found|distributed|native|endemic|restricted|confined|widespread|"
    r"resident|known\s+from)\b")


def _find_common_names(text: str, sentences: Sequence[Sentence],
                       groups: dict[str, bool]) -> list[_TaxonMention]:
    out: list[_TaxonMention] = []
    starts = [s.start for s in sentences]
    gre = _group_re(groups)
    for m in gre.finditer(text):
        si = _sentence_index(starts, m.start())
        sent = sentences[si] if si >= 0 else None
        sstart = sent.start if sent and sent.end >= m.start() else m.start()
        if _proper_name_tail(text[m.end():m.end() + 80]):
            continue
        group = _group_of(m.group(), groups)
        builtin = groups.get(group, False)
        before = text[sstart:m.start()]
        mods: list[tuple[int, str]] = []
        w1 = _NAME_WORD_RE.search(before)
        if w1 and w1.group(1).lower() not in NON_TAXON_MODIFIERS:
            mods.append((sstart + w1.start(1), w1.group(1)))
            w2 = _NAME_WORD_RE.search(before[:w1.start(1)])
            if (w2 and w1.group(1)[0].islower() and w2.group(1)[0].isupper()
                    and w2.group(1).lower() not in NON_TAXON_MODIFIERS):
                mods.insert(0, (sstart + w2.start(1), w2.group(1)))
        if mods:
            start = mods[0][0]
            words = [w for _, w in mods]
            initial = not re.search(r"[^\W_]", text[sstart:start])
            norm = _norm_name(words, group)
            disp = " ".join(words) + " " + group
            out.append(_TaxonMention(start, m.end(), ("name", norm), disp, initial, norm,
                                     group))
        elif builtin:
            generic = bool(w1) and w1.group(1).lower() in _GENERIC_QUANT
            after = text[m.end():m.end() + 20]
            generic = generic or bool(re.match(r"\s+(?:species|genus|family)\b", after, re.I))
            out.append(_TaxonMention(m.start(), m.end(), ("genus", group), group=group,
                                     generic=generic))
        else:
            out.append(_TaxonMention(m.start(), m.end(), ("name", group), None, False, group,
                                     group))
    return out


_TRINOMIAL_TAIL_RE = re.compile(
    r"[ \t]+(?:(?P<rank>ssp|subsp|var|f)\.?[ \t]+)?(?P<ep>[a-z]{3,})\b(?![ \t]*\()")
_ABBR_TRINOMIAL_RE = re.compile(r"\b([A-Z])\.\s?([a-z])\.\s?([a-z]{3,})\b")
#: Endings of Latin epithets (a third lower-case word is a subspecies only with one).
_LATIN_END_RE = re.compile(
    r"(?:us|a|um|is|i|ae|ensis|ii|es|ix|ex|ax|on|or|er|ns|ys|yx|as|os|ata|ica|ana|ina|ei|"
    r"ium|oides|ops|ps|ma|x|are|ale|ile|ense)$")
#: Context that makes a binomial a synonym of the document's subject.
_SYNONYM_CTX_RE = re.compile(
    r"(?:\bsyn(?:onym(?:s|y)?|s?\.)|\bbasionym|\boriginal\s+combination|"
    r"\bformerly\s+(?:known\s+as|classified\s+as|placed\s+in|treated\s+as|in)|"
    r"\bpreviously\s+(?:known\s+as|classified\s+as|placed\s+in|in)|\bincludes?\b|=|"
    r"\bknown\s+(?:historically|formerly|previously)\s+as|\btype\s+locality\s+of|"
    r"\breferred\s+to\s+as|\b(?:sometimes|also)\s+(?:known|called)(?:\s+as)?)"
    r"[^.;\n]{0,60}$"
    # the HMW/HBW "Taxonomy." field opens with the original name ("Taxonomy. Felis manul
    # Pallas, 1776, S of Lake Baikal, Russia.")
    r"|\btaxonomy\s*[.:]\s*$", re.I)


def _find_taxa(text: str, sentences: Sequence[Sentence]
               ) -> tuple[list[_TaxonMention], dict[str, tuple[str, str]]]:
    """All taxon mentions in text order, and the common-name -> record key links."""
    # an image file name ("LLareta (Azorella compacte phil.).jpg" in an infobox, "NZ rock
    # wren on rock.jpg") names no taxon, Latin or common: blanked (same length, so offsets
    # still slice the text); this one blanking is the whole rule for taxa
    text = _IMAGE_FILE_RE.sub(lambda m: " " * len(m.group()), text)
    strong = _strong_binomials(text)
    groups = _document_groups(text, strong)
    commons = _find_common_names(text, sentences, groups)
    links: dict[str, tuple[str, str]] = {}
    sci: list[_TaxonMention] = []
    known_genera = {g for _, g in GROUP_NOUNS.values()}
    known_genera |= {g for _a, _b, g, _e in strong}
    # "the genus Lophophorus", "Genus: Nanorana", "ON THE GENUS PARNASSIUS"
    named_genera = {m.group(1).capitalize() for m in _GENUS_WORD_RE.finditer(text)
                    if m.group(1).lower() not in _GENUS_STOP}
    named_genera |= _genera_of_species_counts(text)
    known_genera |= named_genera
    strong_pairs = {(g, e) for _a, _b, g, e in strong}
    epithets: dict[str, str] = {}  # epithet -> genus
    for _a, _b, g, e in strong:
        epithets.setdefault(e, g)
    # (a) binomial right after a common name: bracketed, or after a comma, dash or line
    # break when the genus is known ("Black Musk-deer\nMoschus fuscus")
    species_commons = [c for c in commons if c.key[0] == "name"]
    for idx, c in enumerate(species_commons):
        after = text[c.end:c.end + 200]
        m = re.match(r"\s*\(\s*([A-Z][a-z]{2,})\s+([a-z]{3,})\b[^()]*\)", after)
        if not m:
            m = re.match(r"[ \t]*(?:--|[-–—:,])?[ \t]*(?:\r?\n[ \t]*)?"
                         r"([A-Z][a-z]{2,})[ \t]+([a-z]{3,})\b", after)
            if m and m.group(1) not in known_genera:
                m = None
            if m and "\n" in after[:m.start(1)]:
                line_start = text.rfind("\n", 0, c.start) + 1
                if text[line_start:c.start].strip(" \t=*#-"):
                    m = None  # "English Himalayan Toad\nBufo abatus": not a header line
        if not m or not _ok_pair(m.group(1), m.group(2)):
            continue
        binom = f"{m.group(1)} {m.group(2)}"
        key = ("sci", binom)
        known_genera.add(m.group(1))
        epithets.setdefault(m.group(2), m.group(1))
        sci.append(_TaxonMention(c.end + m.start(1), c.end + m.end(2), key))
        links.setdefault(c.key[1], key)
        j = idx
        while j > 0:
            prev, cur = species_commons[j - 1], species_commons[j]
            if not _SYN_GAP_RE.match(text[prev.end:cur.start]):
                break
            links.setdefault(prev.key[1], key)
            j -= 1
    # a binomial alone on its line and its common name on the next ("Lagopus muta" /
    # "rock ptarmigan"): linked
    for _a, b, g, e in strong:
        nxt = _name_line_after(text, b)
        if nxt is None:
            continue
        for c in species_commons:
            if nxt[0] <= c.start and c.end <= nxt[1] and c.common is not None:
                links.setdefault(c.common, ("sci", f"{g} {e}"))
    # genera seen in two or more binomial-shaped pairs
    pair_counts: dict[tuple[str, str], int] = {}
    for m in _BINOMIAL_RE.finditer(text):
        if not _ok_pair(m.group(1), m.group(2)):
            continue
        k = (m.group(1), m.group(2))
        pair_counts[k] = pair_counts.get(k, 0) + 1
    repeated = {k for k, n in pair_counts.items() if n >= 2 and _latinish(k[0], k[1], set())}
    taken = {(t.start, t.end) for t in sci}
    # (b) plain binomials of known genera, strong or repeated, (d) misspelt genera with a
    # known epithet
    for m in _BINOMIAL_RE.finditer(text):
        if (m.start(1), m.end(2)) in taken or not _ok_pair(m.group(1), m.group(2)):
            continue
        genus, ep = m.group(1), m.group(2)
        if (genus, ep) not in strong_pairs and (
                _ENGLISH_END_RE.search(ep) or ep in NON_TAXON_MODIFIERS):
            continue  # "Polylepis ranging", "Moschus found"
        if (genus, ep) not in strong_pairs and genus not in known_genera and any(
                c.start <= m.start(1) and m.end(2) <= c.end for c in species_commons
                if c.common in links):
            continue  # "Rock ptarmigans" written twice: a linked common name, no binomial
        if genus in known_genera or (genus, ep) in repeated or (genus, ep) in strong_pairs:
            epithets.setdefault(ep, genus)
            sci.append(_TaxonMention(m.start(1), m.end(2), ("sci", f"{genus} {ep}")))
        elif ep in epithets and difflib.SequenceMatcher(
                None, genus.lower(), epithets[ep].lower()).ratio() >= 0.7:
            sci.append(_TaxonMention(m.start(1), m.end(2), ("sci", f"{epithets[ep]} {ep}")))
    # strong binomials not matched above ("Marmota (Marmota) himalayana")
    for a, b, g, e in strong:
        if not any(t.start < b and a < t.end for t in sci):
            epithets.setdefault(e, g)
            sci.append(_TaxonMention(a, b, ("sci", f"{g} {e}")))
    # (c) abbreviated genus: a known epithet ("M. leucogaster"), or a new epithet when one
    # known genus has that initial ("M. wagneri" beside Montivipera raddei)
    initials: dict[str, set[str]] = {}
    for g in ({t.key[1].split()[0] for t in sci} | (known_genera & set(epithets.values()))
              | named_genera):
        initials.setdefault(g[0], set()).add(g)
    for m in _ABBR_BINOMIAL_RE.finditer(text):
        ep = m.group(2)
        if ep in epithets and epithets[ep][0] == m.group(1):
            sci.append(_TaxonMention(m.start(1), m.end(2), ("sci", f"{epithets[ep]} {ep}")))
        elif (len(initials.get(m.group(1), ())) == 1 and ep not in _EPITHET_STOP
              and _latinish(m.group(1) + "x", ep, set())):
            g = next(iter(initials[m.group(1)]))
            sci.append(_TaxonMention(m.start(1), m.end(2), ("sci", f"{g} {ep}")))
        elif ep not in _EPITHET_STOP and _latinish(m.group(1) + "x", ep, set()):
            # several known genera with that initial: the nearest one written before it
            # in a list ("Nyctimystes disrupter, N. foricula" beside Natrix montana)
            near = [t for t in sci if t.end <= m.start() and m.start() - t.end <= 150
                    and t.key[1][0] == m.group(1) and " " in t.key[1]
                    and _ABBR_LIST_GAP_RE.fullmatch(text[t.end:m.start()])]
            if near:
                g = max(near, key=lambda t: t.end).key[1].split()[0]
                sci.append(_TaxonMention(m.start(1), m.end(2), ("sci", f"{g} {ep}")))
    # trinomials: a third Latin word (or ssp./subsp./var. and one) makes a subspecies of
    # the species record ("Moschus moschiferus sachalinensis", "M. m. parvipes")
    sci = [_with_subspecies(text, t) for t in sci]
    pairs = {t.key[1] for t in sci}
    for m in _ABBR_TRINOMIAL_RE.finditer(text):
        cands = {p for p in pairs if p[0] == m.group(1) and p.split()[1][0] == m.group(2)}
        if len(cands) == 1 and m.group(3) not in _EPITHET_STOP:
            sp = next(iter(cands))
            if any(t.start <= m.start() < t.end for t in sci):
                continue
            sci.append(_TaxonMention(m.start(), m.end(), ("sci", sp),
                                     subspecies=f"{sp} {m.group(3)}"))
    # a title with a capitalised epithet ("Betula Ashburneri - Version 2014.3") when the
    # genus is known
    tm = re.match(r"\s*([A-Z][a-z]{2,})[ \t]+([A-Z][a-z]{3,})\b", text)
    if tm and tm.group(1) in known_genera | {t.key[1].split()[0] for t in sci}:
        ep = tm.group(2).lower()
        if _ok_pair(tm.group(1), ep) and _latinish(tm.group(1), ep, set()):
            sci.append(_TaxonMention(tm.start(1), tm.end(2), ("sci", f"{tm.group(1)} {ep}")))
    sci = _unglue_epithets(text, sci)
    sci = _rejoin_split_epithets(text, sci)
    # (image file names were blanked above, so no binomial comes from one)
    sci = [t for t in sci if not _URL_AFTER_RE.match(text, t.end)]
    sci = _fold_synonyms(text, sentences, sci)
    # a derived group noun on its own ("the leopard", "Snow leopards") denotes the one
    # species of the document with that head; with several, it is left unresolved
    by_head: dict[str, set[tuple[str, str]]] = {}
    for c in species_commons:
        if c.common in links and not groups.get(c.group, True):
            by_head.setdefault(c.group, set()).add(links[c.common])
    for head, keys in by_head.items():
        if len(keys) == 1 and head not in links:
            links[head] = next(iter(keys))
    # the title, when a common name ("Impeyan Pheasant"), names the document's only species
    title = _title_name(text)
    species_keys = list(dict.fromkeys(t.key for t in sci))
    if title is not None and len(species_keys) == 1:
        for c in species_commons:
            if c.start >= title[0] and c.end <= title[1] and c.common not in links:
                links[c.common or ""] = species_keys[0]
    sci_spans = [(t.start, t.end) for t in sci]
    genus = _genus_subject(text)
    if genus is not None:
        for m in re.finditer(rf"\b{re.escape(genus)}\b(?![ \t]+[a-z]{{3,}}|\.)|"
                             rf"\b{re.escape(genus)}(?=[ \t]+([a-z]{{3,}}))", text):
            if m.group(1) is not None and m.group(1) not in _EPITHET_STOP:
                continue  # "Surdisorex represents" is the genus, "Surdisorex polulus" not
            if not any(a <= m.start() < b for a, b in sci_spans):
                sci.append(_TaxonMention(m.start(), m.end(), ("gen", genus)))
    sci_starts = sorted(a for a, _b in sci_spans)
    allm = []
    for c in commons:
        if any(a < c.end and c.start < b for a, b in sci_spans):
            continue  # a group noun inside a binomial ("Lynx lynx")
        nxt = bisect.bisect_left(sci_starts, c.end)
        if (c.key[0] == "genus" and nxt < len(sci_starts) and sci_starts[nxt] - c.end <= 4
                and not text[c.end:sci_starts[nxt]].strip(" \t,-–—:")):
            continue  # apposition "musk deer Moschus cupreus": the binomial is the taxon
        if c.common is not None and c.common in links:
            c = _TaxonMention(c.start, c.end, links[c.common], c.display, c.initial, c.common,
                              c.group)
        elif c.display is None and c.key[0] == "name":
            continue  # bare derived head that names no single species
        allm.append(c)
    allm.extend(sci)
    allm.sort(key=lambda t: (t.start, t.end))
    return allm, links


#: Endings that derive one epithet from another ("ornithopoda" -> "ornithopodioides"):
#: an epithet that goes on with one is a name of its own, not two glued words.
_DERIVED_EPITHET_RE = re.compile(
    r"[a-z]{0,2}(?:oides|ensis|iformis|icola|ophila|ophil(?:us|a|um)|phyll(?:us|a|um)|"
    r"ifolia|ifolius|iflora|icarpa|ianus|iana|ellus|ella|ulus|ula)$")


def _rejoin_split_epithets(text: str, sci: list[_TaxonMention]) -> list[_TaxonMention]:
    """An epithet split by a PDF space ("Arabis ste lulata", "Salix serpi lifolia") is
    the binomial written whole elsewhere in the text ("Arabis stelulata")."""
    keys = {t.key[1] for t in sci if t.key[0] == "sci"}
    out = []
    for t in sci:
        if t.key[0] == "sci" and " " in t.key[1]:
            # the fragment is the next word, or the third word read as a subspecies
            m = re.match(r"[ \t]+([a-z]{1,})\b", text[t.end:t.end + 30])
            frag = t.subspecies.split()[-1] if t.subspecies else (m.group(1) if m else "")
            if frag and f"{t.key[1]}{frag}" in keys:
                t = _TaxonMention(t.start, t.end + (m.end() if m and not t.subspecies else 0),
                                  ("sci", f"{t.key[1]}{frag}"), t.display, t.initial,
                                  t.common, t.group, t.generic)
        out.append(t)
    return out


def _unglue_epithets(text: str, sci: list[_TaxonMention]) -> list[_TaxonMention]:
    """Split an epithet glued by PDF text to the next word ("Parnassius
    accogyanglaputsai subspec. nov." with "P. acco" written elsewhere) into the species
    and a subspecies: an epithet that starts with another epithet of the same genus
    (written in full or abbreviated in the text) and goes on for four letters or more."""
    known: dict[str, set[str]] = {}
    for t in sci:
        g, e = t.key[1].split()[:2] if t.key[0] == "sci" and " " in t.key[1] else ("", "")
        if g:
            known.setdefault(g, set()).add(e)
    for m in _ABBR_BINOMIAL_RE.finditer(text):
        for g in known:
            if g[0] == m.group(1):
                known[g].add(m.group(2))
    out = []
    for t in sci:
        if t.key[0] == "sci" and " " in t.key[1] and t.subspecies is None:
            g, e = t.key[1].split()[:2]
            # (not a fragment of the same word split by a PDF space: "Arabis ste lulata")
            stem = max((p for p in known.get(g, ()) if len(p) >= 4 and e.startswith(p)
                        and len(e) - len(p) >= 6 and p not in _EPITHET_STOP
                        and not _DERIVED_EPITHET_RE.match(e[len(p):])
                        and not re.search(rf"\b{p}\s+{e[len(p):]}\b", text)), key=len,
                       default=None)
            if stem is not None:
                t = _TaxonMention(t.start, t.end, ("sci", f"{g} {stem}"), t.display,
                                  t.initial, t.common, t.group, t.generic,
                                  f"{g} {stem} {e[len(stem):]}")
        out.append(t)
    return out


#: After a "binomial", a web address ("File https://doi.org/...").
_URL_AFTER_RE = re.compile(r"://")


_GENUS_IS_RE = re.compile(
    r"(?:^|\n|[.!?]\s)[ \t]*(?:See text[ \t]+)?([A-Z][a-z]{3,})\b[^.\n]{0,100}?\bis\s+an?\s+"
    r"(?:[\w-]+\s+){0,3}genus\b")
_GENUS_TITLE_RE = re.compile(
    r"^[^\n]{0,60}?\b(?:revision|review|monograph|synopsis|distribution|key|checklist|"
    r"taxonomy)\b[^\n]{0,40}?\bgenus\s+([A-Z][a-z]{3,})\b", re.I | re.M)
_THE_GENUS_IS_RE = re.compile(
    r"\bThe\s+genus\s+([A-Z][a-z]{3,})\b(?:\s*\([^()]*\))?\s+(?:is|are|comprises|contains|"
    r"includes|occurs|has|ranges|represents)\b")


def _genus_subject(text: str) -> str | None:
    """The genus a document is about, if it is a genus document (rule 2): "Polylepis is
    a genus ...", "Revision of the genus Gentiana", or a title that is one Latin word."""
    m = _GENUS_IS_RE.search(text)
    if m and m.group(1).lower() not in _GENUS_STOP:
        return m.group(1)
    head = text[:3000]
    m = _GENUS_TITLE_RE.search(head) or _THE_GENUS_IS_RE.search(text)
    if m and m.group(1)[0].isupper():
        return m.group(1)
    return None


#: An image file name on one line ("LLareta (Azorella compacte phil.).jpg").
_IMAGE_FILE_RE = re.compile(
    r"(?:[^\n|.!?]|[.!?](?=\S)){0,100}?\.(?:jpe?g|png|gif|svg|tiff?|webp)\b", re.I)
#: English words with a Latin-looking ending that follow a binomial in prose.
_ENGLISH_TAILS = frozenset("""
together whether either neither rather further other another after under over never ever
however whatever wherever area era idea data extra ultra plus thus versus bonus minus
census focus status campus corpus virus genus apparatus basis thesis analysis axis
crisis emphasis hypothesis oasis synopsis diagnosis nexus onus radius mucus
""".split())


def _with_subspecies(text: str, t: _TaxonMention) -> _TaxonMention:
    """A binomial mention extended by a trinomial's third word, if any."""
    m = _TRINOMIAL_TAIL_RE.match(text, t.end)
    if not m:
        return t
    ep = m.group("ep")
    if ep in _EPITHET_STOP or ep in NON_TAXON_MODIFIERS:
        return t
    if not m.group("rank") and (not _LATIN_END_RE.search(ep) or ep in _ENGLISH_TAILS
                                or _ENGLISH_END_RE.search(ep)):
        return t  # "H. endorobae together with ...", "P. uncia whether ..."
    return _TaxonMention(t.start, m.end(), t.key,
                         subspecies=f"{t.key[1]} {ep}")


#: A bibliographic reference: volume: page and year ("Notes Roy. Bot. Gard. Edinburgh 4:
#: 229. 1908"). Places in such a line are not range, binomials in it are synonyms.
_CITATION_RE = re.compile(
    r"\b\d{1,4}\s*(?:\(\d{1,3}\))?\s*:\s*\d{1,4}(?:\s*[-–]\s*\d{1,4})?[.,;]?\s*\(?"
    r"(?:1[6-9]|20)\d\d\b")

#: A line that starts with a reference written author first ("Frost, D.R. 2014. Amphibian
#: Species of the World ... New York, USA.", "Taxonomic Source(s): Smith, J. and Lee, K.
#: (2003). ..."): its places are the publisher's, not range.
_REFERENCE_LINE_RE = re.compile(
    r"(?:^|:\s+)[A-Z][\w'’-]+,\s+(?:[A-Z]\.[\s-]?){1,3}(?:,?\s+(?:and|&)\s+[A-Z][\w'’-]+,\s+"
    r"(?:[A-Z]\.[\s-]?){1,3})*(?:\s*et\s+al\.)?,?\s*\(?(?:1[6-9]|20)\d\d[a-z]?\)?[.,]")
#: Right after a place (within 40 characters), the marks of an online reference: the
#: publisher's town ("New York, USA. Available at: (Accessed: 27 January 2014)").
_ONLINE_REFERENCE_RE = re.compile(
    r"\bAvailable\s+(?:at|from|online)\b|\(?Accessed\b|\bRetrieved\s+(?:from|on)\b|"
    r"\bdoi:\s*10\.|\bISBN\b")
#: A journal's running header or imprint: volume (issue): first - last page
#: ("HERPETOZOA 13 (3/4): 99 - 131 99 Wien, 30. Dezember 2000"); a place within 50
#: characters of it is the publisher's town, not range (a paper's title further on in
#: the same flattened line is not caught).
#: An abbreviated word of a journal's or institution's title right before a place: "Proc.
#: Biol. Soc. Wash.", "Misc. Publ. Univ. Kans. Mus.", "Occas. Pap. Mus. Zool. Univ. Mich.".
_JOURNAL_WORD_BEFORE_RE = re.compile(
    r"\b(?:Soc|Univ|Mus|Acad|Publ|Proc|Bull|Jour|Trans|Ann|Mag|Hist|Sci|Zool|Bot|Occas|"
    r"Pap|Contrib|Misc|Rep|Mem|Herb|Natl|Nat|Biol|Geol|Surv|Ser|Rev)\.[ \t]*$")
_JOURNAL_HEADER_RE = re.compile(
    r"\b\d{1,4}\s*\(\d{1,3}(?:\s*[/–-]\s*\d{1,3})?\)\s*:\s*\d{1,4}\s*[-–]\s*\d{1,4}\b")

#: After a name, the rest of an author-year citation: "(Rocha and Quiroga 1997)",
#: "Victoria et al. 2004", "(Lima, 2010)".
_AUTHOR_YEAR_RE = re.compile(
    r"^(?P<co>\s+et\s+al\.?|\s+(?:and|&)\s+[A-Z][\w'’-]+(?:\s+et\s+al\.?)?)?"
    r",?\s+(?:1[6-9]|20)\d\d[a-z]?\b(?!\s*(?:m|ft|km)\b)")


#: After a place name, the rest of an organisation's name ("Utah Division of Wildlife
#: Resources", "Sichuan University", "Yunnan Forestry Department", "Nepal Museum"): the
#: place names the organisation, it is not range.
_ORG_AFTER_RE = re.compile(
    r"(?:\s+(?:State|National|Provincial|Forestry|Natural|History|Wildlife|Fish|Game|"
    r"Agricultural|Normal|Medical|Botanical|Zoological|Geological|Forest|Parks)){0,3}"
    r"\s+(?:Division|Department|Dept\.|Museum|Society|Service|Survey|Agency|Ministry|"
    r"Council|Institute|University|Commission|Bureau|Herbarium|Academy|"
    # a journal named after a place: "Pakistan Journal of Zoology", "Great Basin Naturalist"
    r"Journal|Naturalist|Field-Naturalist|Entomologist|Zoologist|Ornithologist|"
    r"Herpetologist|Botanist|Bulletin|Gazette)\b")


def _org_after(sentence: str, end: int) -> bool:
    """Whether the place ending at ``sentence[end]`` begins an organisation's name
    (:data:`_ORG_AFTER_RE`). A bare "Department" after it, not followed by "of", is the
    administrative unit of Latin American and French texts ("first record from Cochabamba
    Department"), not an office ("Sikkim Forest Department", "Utah Department of
    Wildlife")."""
    m = _ORG_AFTER_RE.match(sentence, end)
    if m is None:
        return False
    return not (re.fullmatch(r"\s+Department", m.group())
                and not re.match(r"\s+(?:of|for)\b", sentence[m.end():]))


#: Before a place name, the head of an organisation's name that ends in it ("University
#: of Alaska", "Universidad Autónoma del Estado de Hidalgo", "Zoological Survey of
#: India"): the place names the organisation, it is not range.
_ORG_BEFORE_RE = re.compile(
    r"\b(?:Universit(?:y|ies)|Universidad|Universidade|Université|Universität|Institute|"
    r"Instituto|Institut|Museum|Museo|Musée|Academy|Academia|Survey|Society|Ministry|"
    r"Ministerio|Department|Departamento|Herbarium|College|Council|Commission|Bureau|"
    r"Agency|Service|Foundation|Fundación|Centre|Center|Centro|Laboratory|Laboratorio|"
    r"Journal|Bulletin|Proceedings|Annals|Transactions|Memoirs|Revista)"
    r"(?:\s+(?:of|de|del|da|do|des|di|für|for|the|la|and|y|&|[A-Z][\w'’.-]*)){0,6}\s+$")

_TITLE_WORD = r"(?:[A-Z][\w'’.-]*|of|and|the|in|to|for|de|la|del|et|&)"
#: A capitalised title run after a name, closed by a year in parentheses: "... Including
#: Ceylon and Burma (1939)".
_TITLE_AFTER_RE = re.compile(
    rf"^(?:,?\s+{_TITLE_WORD}){{0,8}}\s*\((?:1[6-9]|20)\d\d\)")
#: The capitalised title run before it: "The Fauna of British India, Including ".
_TITLE_BEFORE_RE = re.compile(rf"(?:{_TITLE_WORD},?\s+){{3,}}$")


def _in_work_title(text: str, start: int, end: int) -> bool:
    """Whether the name at ``text[start:end]`` is inside the title of a cited work: a run
    of capitalised words (three or more before the name, linking words allowed) that
    ends in a year in parentheses ("The Fauna of British India, Including Ceylon and
    Burma (1939)")."""
    if not _TITLE_AFTER_RE.match(text[end:end + 120]):
        return False
    before = _TITLE_BEFORE_RE.search(text[max(0, start - 120):start])
    return before is not None and sum(w[:1].isupper() for w in before.group(0).split()) >= 3


#: Before a place, people who come from it (the study's team, not the taxon): "a team of
#: researchers from Germany", "ornithologists from Japan", "an expedition from Britain".
_PEOPLE_FROM_RE = re.compile(
    r"\b(?:researchers?|scientists?|biologists?|zoologists?|botanists?|ornithologists?|"
    r"herpetologists?|entomologists?|mammalogists?|naturalists?|explorers?|team|"
    r"expeditions?|students?|colleagues|experts?|volunteers|tourists|authors?|"
    r"birdwatchers|birders|photographers?)\s+(?:from|of)\s+(?:the\s+)?$", re.I)
#: Other species than the taxon as the subject of a statement: "Other species of the genus
#: occur in India", "its congeners are found in Peru", "the remaining members of the
#: genus" (not "other populations": the same species).
_OTHER_TAXA_RE = re.compile(
    r"\b(?:other|another|remaining|related)\s+(?:[\w-]+\s+){0,2}?(?:species|members|"
    r"congeners|taxa|genera)\b|\bcongeners\b|\bthe\s+rest\s+of\s+the\s+genus\b|"
    # a higher taxon: "Members of the genus occur in", "The family occurs from Mexico",
    # "Frogs of this family are found in"
    # (not a count of the text's own species: "Three species of the genus X are
    # recognised in Ethiopia" is said of them, see _share_genus_statements)
    r"(?<!two\s)(?<!three\s)(?<!four\s)(?<!five\s)(?<!six\s)(?<!seven\s)(?<!all\s)"
    r"(?<!both\s)(?<!\d\s)"
    r"\b(?:members|species|representatives|taxa|frogs|lizards|snakes|birds|plants|"
    r"mammals)\s+of\s+(?:the|this|that)\s+(?:genus|family|subfamily|order|tribe)\b|"
    r"\b[a-z]+\s+of\s+(?:this|that)\s+(?:genus|family|subfamily|order|tribe)\b|"
    # the family as the clause's subject ("The family occurs from Mexico to Argentina";
    # not "a plant in the family Ericaceae, native to Pakistan")
    r"(?:^|(?<=[;:])|(?<=[;:]\s))\s*(?:the|this)\s+(?:family|subfamily|order|tribe|"
    r"superfamily)\b|"
    # an unnamed other species after a relation: "confused with a species found in India"
    r"\b(?:with|from|to|than)\s+(?:a|an|another)\s+(?:[\w-]+\s+){0,2}?(?:species|taxon|"
    r"form)\b", re.I)
#: The subject again after other species ("Unlike other species of the genus, it also
#: occurs in India").
_SUBJECT_AGAIN_RE = re.compile(
    r"\b(?:it|this\s+species|the\s+species)\s+(?:\w+\s+)?(?:occurs|is|lives|inhabits|"
    r"ranges|was|has|breeds|grows|extends|reaches)\b", re.I)
#: Before a place, a span's end at its boundary ("FROM the western boundaries of Bhutan
#: ... to Kashmir", "to the eastern border of Nepal", or opening the sentence, an OCR'd
#: drop capital allowed: "ROM the western boundaries of Bhutan"): the range reaches the
#: boundary, the place is its reference point (not "the borders of Bolivia", nor "along
#: the northern border of India").
_BOUNDARY_END_RE = re.compile(
    r"(?:^\W*(?:(?-i:[A-Z]{1,4})\s+)?|\b(?:from|to|as\s+far\s+as|up\s+to)\s+)(?i:the)\s+"
    r"(?:north|south|east|west)\w*\s+"
    r"(?:boundar(?:y|ies)|borders?|frontiers?|limits?|confines)\s+of\s+(?:the\s+)?$", re.I)
#: A clause whose subject is a named landform or water body and whose verb is a verb of
#: extent ("The Altiplano extends into Peru", "The Andes cross Peru", "Lake Titicaca
#: drains into ..."): its places are the landform's (used only when no taxon is named
#: before the place; "Cerro X lies in Michoacán" locates a site and stays).
_LANDFORM_SUBJECT_RE = re.compile(
    r"\s*(?:The\s+(?:[A-Z][\w'’-]+\s+){1,3}|(?:Lake|Mount|Mt\.?|Cerro|Sierra|Cordillera|"
    r"R[ií]o|River|Lago|Laguna|Volc[aá]n)\s+(?:[A-Z][\w'’-]+\s+){1,2})(?:mountains?\s+|"
    r"range\s+|river\s+|plateau\s+)?(?:extends?|stretches?|runs?|cross(?:es)?|covers?|"
    r"spans?|drains?|flows?)(?![\w-])")
#: Before a place, a comparison of sizes or latitudes: "an area the size of Belgium", "at
#: similar latitudes to Japan".
_PLACE_COMPARED_RE = re.compile(
    r"\b(?:the\s+size\s+of|(?:larger|smaller|bigger)\s+than|latitudes?\s+(?:as|to|of)|"
    r"(?:similar|comparable)\s+to)\s+(?:that\s+of\s+)?(?:the\s+)?$", re.I)
#: Between two places of one bare list ("the border with India and China").
_PLACE_LIST_GAP_RE = re.compile(r"\s*(?:,\s*(?:and\s+|or\s+)?|\s+(?:and|or|&)\s+)(?:the\s+)?")


def _not_range_context(sentence: str, start: int, end: int,
                       spans: Sequence[tuple[int, int]],
                       genera: Iterable[str] = (), taxon_before: bool = True
                       ) -> str | None:
    """Why the place at ``sentence[start:end]`` is named as something other than range,
    from the words around it (``None`` if nothing says so): people who come from it ("a
    team of researchers from Germany"), a size or latitude compared with it ("an area
    the size of Belgium"), or a place listed right after a reference point ("the border
    with India and China", "north of Canada and Alaska": both are reference points)."""
    before = sentence[max(0, start - 60):start]
    clause = max(sentence.rfind(";", 0, start), sentence.rfind(":", 0, start)) + 1
    other = max(_OTHER_TAXA_RE.finditer(sentence, clause, start), default=None,
                key=lambda x: x.start())
    if other is not None and not _RELATED_END_RE.search(sentence, other.end(), start) \
            and not _SUBJECT_AGAIN_RE.search(sentence, other.end(), start):
        return "said of other species ('other species of the genus')"
    for g in genera:
        # the species' genus alone as the clause's subject: "Liolaemus is one of the most
        # diverse genera ..., widely distributed in Peru", "Telmatobius is distributed from
        # Ecuador to Argentina" -- said of the genus, not of the species
        gm = re.compile(rf"\s*(?:(?i:the\s+genus)\s+)?{re.escape(g)}\b(?!\s*(?:[a-z]{{3,}}|\(|"
                        r"\.))").match(sentence, clause)
        if gm and not _SUBJECT_AGAIN_RE.search(sentence, gm.end(), start):
            return f"said of the genus {g}, not of the species"
    if not taxon_before and _LANDFORM_SUBJECT_RE.match(
            sentence, sentence.rfind(";", 0, start) + 1):
        return "said of a landform ('The Altiplano extends into ...')"
    if _PEOPLE_FROM_RE.search(before):
        return "people from that place ('researchers from')"
    if _PLACE_COMPARED_RE.search(before):
        return "a place compared with ('the size of')"
    # walk back over a bare list of places to its first item
    # (a list joined by "and"/"or": "N. of Bagmati, Nepal" names Bagmati's country)
    first, joined = start, False
    for a, b in sorted(spans, reverse=True):
        if b <= first and _PLACE_LIST_GAP_RE.fullmatch(sentence, b, first):
            joined = joined or bool(re.search(r"\b(?:and|or)\b|&", sentence[b:first]))
            first = a
        elif b <= first:
            break
    if _BOUNDARY_END_RE.search(sentence, max(0, start - 60), start):
        return "reference point (a span's end at its boundary: 'from the western boundary of')"
    if joined and _OUTSIDE_RE.search(sentence[max(0, first - 40):first]):
        return "reference point ('south of', 'outside'), in a list"
    return None


#: After a name, an unpublished source: "O. Rocha in litt.", "Lima pers. comm.".
_PERSONAL_COMM_RE = re.compile(r"^,?\s+(?:in\s+litt\b|pers\.?\s*(?:comm|obs)\b)", re.I)


#: A work cited by a title "X of <place>" and a year, opening a citation bracket or
#: following a citation separator: "(Flora of China 2003)", "; Fauna of British India".
_WORK_OF_BEFORE_RE = re.compile(
    r"[(;]\s*(?:[A-Z][\w'’.-]*\s+){1,3}(?:of|de|del|do|da|des)\s+(?:the\s+)?$")


#: After a name that follows a binomial (:data:`_BINOMIAL_BEFORE_RE`), the rest of its
#: authority: co-authors and a closing bracket or a year ("(Flores and Rodríguez)").
_AUTHORITY_TAIL_RE = re.compile(
    r"^(?P<co>(?:\s*(?:,|&|and|et|ex|y)\s*[A-Z][\w'’.-]+)+)?\s*"
    r"(?:\)|,?\s+(?P<year>(?:1[6-9]|20)\d\d)\b)")


#: Before a name, the authors before it in a citation: "Lehr, Smith & ", "Smith and ".
_CO_AUTHORS_BEFORE_RE = re.compile(
    r"[A-Z][\w'’-]+(?:,\s+[A-Z][\w'’-]+)*,?\s+(?:&|and|y|et)\s+$")


def _is_author_citation(text: str, start: int, end: int) -> bool:
    """Whether the name at ``text[start:end]`` is an author's name in an author-year
    citation: followed by a co-author or "et al." and a year, or by a year alone when
    the name opens a parenthesis or follows a citation separator ("; "), or by "in
    litt." / "pers. comm." (an unpublished source)."""
    if _PERSONAL_COMM_RE.match(text[end:end + 30]):
        return True
    before = _BINOMIAL_BEFORE_RE.search(text[max(0, start - 80):start])
    tail = _AUTHORITY_TAIL_RE.match(text[end:end + 60]) if before else None
    if tail and (tail.group("co") or tail.group("year")):
        # a taxon's authority: "E. hamiotae Flores, 1993", "P. x (Flores and Rodríguez)"
        # (not "P. x (Ecuador)")
        return True
    m = _AUTHOR_YEAR_RE.match(text[end:end + 60])
    if m is None:
        return False
    if m.group("co"):
        return True
    if text.rfind("(", 0, start) > text.rfind(")", 0, start) and _CO_AUTHORS_BEFORE_RE.search(
            text, max(0, start - 80), start):
        return True  # the last of several authors: "(Lehr, Smith & Chile 2005)"
    if _BINOMIAL_BEFORE_RE.search(text[max(0, start - 80):start]):
        return True  # the authority of a name ("Eleutherodactylus hamiotae Flores, 1993")
    if _WORK_OF_BEFORE_RE.search(text, max(0, start - 60), start):
        return True  # "(Flora of China 2003)": a work cited by its title and year
    return bool(re.search(r"[(;]\s*$", text[max(0, start - 3):start]))


#: A binomial (or trinomial) right before an author-year: the name's authority.
_BINOMIAL_BEFORE_RE = re.compile(
    r"\b[A-Z][a-z]{2,}[ \t]+(?:\([A-Z][a-z]+\)[ \t]+)?[a-z]{3,}(?:[ \t]+[a-z]{3,})?[ \t]+\(?$")


_EMAIL_RE = re.compile(r"\b[\w.+-]+@[\w-]+\.[\w.-]+\b")
_INSTITUTION_RE = re.compile(
    r"\b(?:Universi(?:ty|dad|dade|té|tät)|Institut[eo]?|Department|Dept\.|Departamento|Faculty|"
    r"Facultad|Laborator(?:y|io)|College|Academy|Academia|School\s+of|Research\s+Cent(?:er|re)|"
    r"Grupo\s+de\s+investigación)\b")


#: A publisher's or copyright line ("©Österreichische Gesellschaft ..., Wien, Austria").
_COPYRIGHT_RE = re.compile(r"©|\(c\)\s+\d{4}|\bcopyright\b|\ball rights reserved\b", re.I)


def _is_affiliation(line: str) -> bool:
    """An author's or publisher's address: a line with an e-mail address or a
    copyright mark, or naming an institution without any range statement
    ("Universidad Nacional de Colombia. Bogotá, D.C.")."""
    if _EMAIL_RE.search(line) or _COPYRIGHT_RE.search(line):
        return True
    return bool(_INSTITUTION_RE.search(line)) and _first(_DIST_RE, line) is None


#: Marks of a postal address, by kind: a postal code (5-6 digits, "SR-21000", "C.P.
#: 04510"), a street or house number ("Slovačka 26", "Galeana # 3", "s/n", "Km 4.5",
#: "P.O. Box"), an e-mail address, a country in capitals after a comma (", MEXICO"), a
#: footnote number glued to a name ("1Predio", "³Laboratorio"), an institution.
_ADDRESS_MARKS: tuple[re.Pattern[str], ...] = (
    re.compile(r"(?<![\w.,])(?:[A-Z]{1,3}-)?\d{5,6}(?![\w.,]|\s*(?:m|ft|km|mm|cm|g|kg)\b)"
               r"|\bC\.\s?P\.\s?\d{4,6}\b|\b[A-Z]{1,3}-\d{4}\b(?![\w.,])"),
    re.compile(r"(?i:\bs/n\b|#\s*\d|\bkm\.?\s*\d+(?:[.,]\d+)?\b(?!\s*(?:[NSEW]\b|north|"
               r"south|east|west|from|of|long|wide|away))|\bP\.?\s?O\.?\s+Box\b|"
               r"\b(?:calle|avenida|av\.|street|st\.|road|rd\.|carretera|apartado|bulevar|"
               r"boulevard|ulica)\b|\w(?:strasse|straße|gasse|weg|platz|ulica)\b)"
               r"|\b[A-Z][a-zß-ž]+\s+\d{1,4}(?:/\d{1,4})?,"),
    _EMAIL_RE,
    re.compile(r",\s+(?:[A-Z]{2,}\.?\s?){1,3}(?:[,;]|\s+\d|\s*$|\s+[A-Z\d¹²³⁴⁵⁶⁷⁸⁹])"),
    re.compile(r"(?:^|\s)(?:\d{1,2}|[¹²³⁴⁵⁶⁷⁸⁹*†‡§])(?:,\d)?[A-Z][a-zà-ž]{2,}"),
    _INSTITUTION_RE,
)
#: Prose: three lower-case words in a row ("in the state of") -- an address has none.
_PROSE_RUN_RE = re.compile(r"\b[a-zà-ž]+\s+[a-zà-ž]+\s+[a-zà-ž]+\b")


def _in_address(sentence: str, start: int, end: int) -> bool:
    """Whether the name at ``sentence[start:end]`` is part of a postal address (an
    author's affiliation run into the text of a flattened page): in the stretch around
    it that holds no prose (three lower-case words in a row), marks of at least two
    kinds of :data:`_ADDRESS_MARKS`."""
    before = sentence[max(0, start - 160):start]
    runs = list(_PROSE_RUN_RE.finditer(before))
    if runs:
        before = before[runs[-1].end():]
    after = sentence[end:end + 80]
    run = _PROSE_RUN_RE.search(after)
    if run:
        after = after[:run.start()]
    window = before + sentence[start:end] + after
    return sum(1 for rx in _ADDRESS_MARKS if rx.search(window)) >= 2


#: One item of a list of authors: two to four capitalised words or initials ("Luis R.
#: Rivas", "Patricia Mendoza-Miranda§", "Paul M. Ramsay"), a footnote mark allowed.
_AUTHOR_ITEM_RE = re.compile(
    r"^\s*(?:[A-Z][\w'’-]*\.?\s+){1,3}[A-Z][\w'’-]*[§‡¶*†|\d]*\s*$")
#: What shows an item is a person: a middle initial (not a compass letter: "N. India") or a
#: footnote mark after it.
_PERSON_MARK_RE = re.compile(r"\b[ABDF-MO-RT-VX-Z]\.\s+[A-Z]|[§‡¶*†|]|[a-z]\d\s*$")
_AUTHOR_SEP_RE = re.compile(r"\s*(?:,|;|&|\band\b)\s*")


def _in_author_list(sentence: str, start: int, end: int) -> bool:
    """Whether the name at ``sentence[start:end]`` is part of a person's name in a list
    of authors ("Luis R. Rivas, Gabriel Callapa§, Patricia Mendoza-Miranda§, ..."): its
    item and at least two others of the list are two to four capitalised words, and
    the list shows persons (a middle initial or a footnote mark)."""
    left = [m.end() for m in _AUTHOR_LIST_BOUND_RE.finditer(sentence, 0, start)]
    a = left[-1] if left else 0
    right = _AUTHOR_LIST_BOUND_RE.search(sentence, end)
    b = right.start() if right else len(sentence)
    seps = list(_AUTHOR_SEP_RE.finditer(sentence, a, b))
    bounds = [a] + [x for m in seps for x in (m.start(), m.end())] + [b]
    items = [(bounds[k], bounds[k + 1]) for k in range(0, len(bounds), 2)]
    last = len(items) - 1
    names, here = [], False
    for k, (x, y) in enumerate(items):
        words = list(_CAP_TOKEN_RE.finditer(sentence, x, y))
        if not words:
            continue
        # an item may begin with other words, the last may run on into the text
        run = _capital_run(sentence, x, y, from_end=k < last, to_start=k == last)
        if run is None:
            continue
        rx, ry = run
        if _AUTHOR_ITEM_RE.match(sentence[rx:ry]):
            names.append(sentence[rx:ry])
            here = here or (rx <= start and end <= ry)
    return here and len(names) >= 3 and any(_PERSON_MARK_RE.search(n) for n in names)


#: Where a list of authors cannot reach over: a sentence end (a word of two letters or
#: more before the dot, not an initial), a colon or a bracket.
_AUTHOR_LIST_BOUND_RE = re.compile(r"[a-z\d]{2}\.(?=\s)|[:()\[\]]")
_PLACE_PREPOSITIONS = frozenset({
    "in", "from", "at", "of", "to", "near", "between", "across", "throughout", "into",
    "on", "and", "or", "within", "around", "through"})
_CAP_TOKEN_RE = re.compile(r"[A-Z][\w'’-]*\.?[§‡¶*†|\d]*")


def _capital_run(text: str, x: int, y: int, from_end: bool, to_start: bool
                 ) -> tuple[int, int] | None:
    """The span of ``text[x:y]`` made of capitalised tokens only: all of it, or its
    trailing run (``from_end``, a list's first item: "expand article infoLuis R. Rivas"),
    or its leading run (``to_start``, the last item: "Paul M. Ramsay Nuevos
    avistamientos ...")."""
    toks = [(m.start(), m.end(), m.group()) for m in re.finditer(r"\S+", text[x:y])]
    toks = [(x + p, x + q, w) for p, q, w in toks]
    if not toks:
        return None
    cap = [w[:1].isupper() for _p, _q, w in toks]
    if all(cap):
        return toks[0][0], toks[-1][1]
    if from_end and cap[-1]:
        k = len(toks) - 1
        while k > 0 and cap[k - 1]:
            k -= 1
        if k > 0 and toks[k - 1][2].lower() in _PLACE_PREPOSITIONS:
            return None  # "first record from Cochabamba Department": a place
        return toks[k][0], toks[-1][1]
    if to_start and cap[0]:
        k = 0
        while k + 1 < len(toks) and cap[k + 1] and k < 3:
            k += 1
        return toks[0][0], toks[k][1]
    return None


#: A line longer than this is flattened text (a whole page on one line): its own
#: sentence, not the line, is a place's context for line rules (affiliation, citation).
LONG_LINE = 400


def _line_at(text: str, pos: int, sentence: str | None = None) -> str:
    """The line of ``text`` that holds ``pos`` (``sentence`` instead when the line is
    flattened text longer than :data:`LONG_LINE`)."""
    a = text.rfind("\n", 0, pos) + 1
    b = text.find("\n", pos)
    b = b if b >= 0 else len(text)
    if sentence is not None and b - a > LONG_LINE:
        return sentence
    # a paper heading run into the line ("... x@y.org Abstract We describe ...") starts
    # a part of its own: an address before it is not the line of a place after it
    for m in _RUN_IN_PAPER_HEADING_RE.finditer(text, a, b):
        if m.start() <= pos:
            a = m.start()
        else:
            b = m.start()
            break
    return text[a:b]


def _fold_synonyms(text: str, sentences: Sequence[Sentence], sci: list[_TaxonMention]
                   ) -> list[_TaxonMention]:
    """Synonyms denote the document's subject (rule 2).

    The subject is the first species binomial; another binomial with the same
    epithet in another genus (an original combination, "Vultur barbatus"), or one
    written after "syn.", "synonym", "formerly in", "=" or in a "Synonyms" field,
    is the subject under another name.
    """
    if not sci:
        return sci
    starts = [s.start for s in sentences]

    def synonym_ctx(t: _TaxonMention, citation: bool = True) -> bool:
        si = _sentence_index(starts, t.start)
        section = sentences[si].section if si >= 0 else ""
        line_start = text.rfind("\n", 0, t.start) + 1
        return bool(_SYNONYM_CTX_RE.search(text[line_start:t.start])) or (
            bool(section) and _is_section(section, ("synonym",))) or (
            citation and bool(_CITATION_RE.search(_line_at(text, t.start))))

    ordered = sorted(sci, key=lambda t: t.start)
    # the subject may head a reference line ("82. Saussurea montana J. Anthony, Notes ...")
    first = next((t.key for t in ordered if not synonym_ctx(t, citation=False)),
                 ordered[0].key)
    genus, ep = first[1].split()
    out = []
    for t in sci:
        if t.key != first:
            g, e = t.key[1].split()
            # another genus with the subject's epithet (an original combination), the
            # epithet in another gender or spelling ("Azorella compacte"), a synonym cue
            if _same_epithet(e, ep) or synonym_ctx(t):
                t = _TaxonMention(t.start, t.end, first, t.display, t.initial, t.common,
                                  t.group, t.generic,
                                  None if t.subspecies is None else
                                  f"{first[1]} {t.subspecies.split()[-1]}")
        out.append(t)
    return out


#: Gender endings of Latin epithets ("Felis jacobita" -> "Leopardus jacobitus").
_GENDER_END_RE = re.compile(r"(?:us|a|um|is|e|er|ra|rum)$")


def _same_epithet(a: str, b: str) -> bool:
    """Whether two epithets are one name, allowing for a genus change of gender
    ("jacobita"/"jacobitus", "montanus"/"montana")."""
    if a == b:
        return True
    sa, sb = _GENDER_END_RE.sub("", a), _GENDER_END_RE.sub("", b)
    return len(sa) >= 4 and sa == sb


def _sentence_index(starts: Sequence[int], pos: int) -> int:
    """Index of the sentence (by start offsets) that contains ``pos``."""
    return bisect.bisect_right(starts, pos) - 1


# --------------------------------------------------------------------------- qualifiers

_QUAL_WORD_RE = re.compile(
    r"(?:^|[^\w-])(?P<w>(?:north|south)[\s-]?(?:east|west)(?:ern)?|north(?:ern)?|south(?:ern)?|"
    r"east(?:ern)?|west(?:ern)?|central|centre|center)\s+"
    r"(?:(?:parts?|regions?|portions?|areas?|slopes?|half|reaches)\s+of\s+)?(?:the\s+)?$",
    re.I,
)
_QUAL_OF_RE = re.compile(
    r"\bthe\s+(?P<w>(?:north|south)[\s-]?(?:east|west)|north|south|east|west|centre|center)"
    r"\s+of\s+(?:the\s+)?$",
    re.I,
)
_QUAL_ABBR_RE = re.compile(r"(?:^|[\s(,;])(?P<a>NE|NW|SE|SW|N|S|E|W|C)(?:\.?\s+|(?<=[NSEW]))$")


def _norm_compass(word: str) -> str:
    w = re.sub(r"[\s-]+", "", word.lower())
    for a in ("north", "south"):
        for b in ("east", "west"):
            if w.startswith(a + b):
                return f"{a}-{_COMPASS_WORDS[b]}"
    return _COMPASS_WORDS.get(w, w)


def qualifiers_before(prefix: str) -> tuple[str, ...]:
    """Compass qualifiers at the end of ``prefix`` (the text before a place name).

    >>> qualifiers_before("occurs in north-west "), qualifiers_before("in S ")
    (('north-western',), ('southern',))
    """
    tail = prefix[-60:]
    for rx in (_QUAL_WORD_RE, _QUAL_OF_RE):
        m = rx.search(tail)
        if m:
            return (_norm_compass(m.group("w")),)
    m = _QUAL_ABBR_RE.search(tail)
    if m:
        return (_COMPASS_ABBR[m.group("a")],)
    return ()


# --------------------------------------------------------------------------- elevation

#: A number: thousands grouped by comma, dot or thin space ("2,500", "2.500"), or a
#: decimal with a point or comma ("2.5", "2,5" -- kilometres).
_NUM = (r"(?<![\d,.])(?:\d{1,3}(?:[,.\u202f\u2009\u00a0]\d{3})+(?![\d])"
        r"|(?<!\d )\d{1,2} \d{3}(?![\d]| \d)|\d+)"  # "2 050 m" (not "1998 500")
        r"(?:[.,]\d{1,2}(?![\d]))?")
_M = r"(?:m|metres|meters|metre|meter|mtrs?)(?![\w])"
_FT = r"(?:ft|feet|foot)(?![\w])\.?"
_KM = r"(?:km|kilometres|kilometers|kilometre|kilometer)(?![\w])"
_UNIT = rf"(?:{_M}|{_FT}|{_KM})"
# "entre 1500 y 5400 m" (Spanish), "zwischen 1700 m und 3062 m", "1700 bis 3000 m"
# (German), "entre 1500 et 2500 m" (French)
_DASH = r"\s*(?:--|-|–|—|‒|−|to|and|y|und|bis|et)\s*"
_MIN_PREPS = ("above", "over", "more than", "greater than", "higher than", "at least",
              "exceeding", "in excess of", "upwards of", "from", "as low as")
_MAX_PREPS = ("below", "under", "less than", "lower than", "up to", "upto", "as high as",
              "not exceeding", "to", "to at least", "up to at least", "at most")
_POINT_PREPS = ("at", "around", "about", "near", "of", "approximately", "between", "entre",
                "zwischen")
_PREP_ALT = "|".join(
    sorted((re.escape(p).replace(r"\ ", r"\s+") for p in
            (*_MIN_PREPS, *_MAX_PREPS, *_POINT_PREPS)), key=len, reverse=True)
)
_FILLER = (r"(?:(?:altitudes?|elevations?|heights?)\s+(?:of\s+)?)?"
           r"(?:(?:about|around|approximately|approx\.|c\.|ca\.|some|roughly|nearly|almost)\s+)?")
_ELEV_RE = re.compile(
    rf"(?:\b(?P<prep>{_PREP_ALT})\s+{_FILLER})?"
    rf"(?:(?P<lo>{_NUM})\s*(?P<u1>{_UNIT})?{_DASH}(?P<hi>{_NUM})\s*(?P<u2>{_UNIT})"
    rf"|(?P<v>{_NUM})\s*(?P<u>{_UNIT}))"
    r"(?!\s*(?:tall|long|wide|deep|thick|across|in\s+(?:length|height|width|diameter)))"
    rf"(?P<alt>\s*\(\s*(?:c\.|ca\.|about|approx\.?|~)?\s*(?P<alo>{_NUM})"
    rf"(?:{_DASH}(?P<ahi>{_NUM}))?\s*(?P<au>{_UNIT})\s*\))?",
    re.I,
)
_STRONG_ELEV_RE = re.compile(
    r"altitud|elevation|\b(?:alt|altit|elev|elevn)\.\s*(?:c\.|ca\.)?\s*\(?\d|\ba\.?\s?s\.?\s?l\b|\bmasl\b|sea[\s-]+level|\bm?\.?\s?s\.?n\.?m\b|"
    r"\bh(?:ö|oe)hen?\b|\bmeeresh(?:ö|oe)he\b|\bü\.\s?(?:NN|M\.)|"  # German
    r"\bas\s+(?:high|low)\s+as\b", re.I)
_WEAK_ELEV_RE = re.compile(
    r"\b(?:alpine|sub-?alpine|montane|mountains?|mountainous|highlands?|hills?|slopes?|"
    r"peaks?|plateaus?|tree-?line|timberline|forests?|woodlands?|meadows?|grasslands?|"
    r"thickets?|pastures?|scrub|shrublands?|steppes?|tundra|moraines?|screes?|cliffs?|"
    r"valleys?|swamps?|marshes|bogs?|ravines?|streamsides?|habitats?)\b", re.I)
#: More habitat words of a flora's habitat clause ("in shallow lakes or on muddy
#: lakesides; up to 2,340 m"), lower case only: "Lake" in "Grand, Lake, La Plata
#: counties" is a name.
_WEAK_ELEV_LC_RE = re.compile(
    r"\b(?:lakes?|lakesides?|lake\s*shores?|riverbanks?|river\s*banks|ponds?|pools?|"
    r"rocky|gravelly|sandy|grassy|crevices)\b")
_BEFORE_BARE_RE = re.compile(
    r"(?:altitudes?|elevations?|heights?)\s*(?:of|:|at|is|was|to)?\s*"
    r"(?:about|around|approximately|c\.|ca\.)?\s*$", re.I)
_AFTER_BARE_RE = re.compile(
    r"\s*(?:a\.?\s?s\.?\s?l\b|above\s+(?:mean\s+)?sea[\s-]+level|elevation|altitude)", re.I)
ELEVATION_RANGE_M = (-500.0, 9000.0)
#: Without altitude or mountain words, a quantity must be at least this high (and
#: bounded, after at/between/above/below ...) in a distribution sentence to count.
ELEVATION_MIN_PLAIN_M = 300.0


def _to_m(num: str, unit: str | None) -> float:
    """A number as written (rule 7: "2,500", "2.500", "2,5 km") in metres."""
    u = (unit or "m").lower().rstrip(".")
    n = num.replace("\u202f", ",").replace("\u2009", ",").replace("\u00a0", ",").replace(
        " ", ",")
    if re.fullmatch(r"\d{1,3}(?:[,.]\d{3})+", n):
        v = float(re.sub(r"[,.]", "", n))  # thousands separators
    elif re.fullmatch(r"\d{1,3}(?:[,.]\d{3})+[.,]\d{1,2}", n):
        v = float(re.sub(r"[,.]", "", n[:-3]) + "." + n[-2:].lstrip(".,"))
    else:
        v = float(n.replace(",", "."))
    if u in ("km", "kilometres", "kilometers", "kilometre", "kilometer"):
        return float(round(v * 1000))
    if u in ("ft", "feet", "foot"):
        return float(round(v * 0.3048))
    return v


_TREELINE_RE = re.compile(
    rf"\b(?:to|up\s+to)\s+(?:the\s+)?(?:tree-?line|timber-?line|snow-?line|forest\s+limit)"
    rf"\s*(?:at|in|of|,|\()?\s*(?:about\s+|c\.\s*|ca\.\s*)?(?P<v>{_NUM})\s*(?P<u>{_UNIT})",
    re.I)


_EXTREME_BRACKET_RE = re.compile(
    rf"\(\s*(?:{_NUM}\s*(?:-|–|—|‒|−)+|(?:-|–|—|‒|−)+\s*{_NUM})\s*\)")


def _is_km(unit: str | None) -> bool:
    return bool(unit) and unit.lower().startswith(("km", "kilomet"))


#: "from sea level to 2,000 m", "lowlands to 1,500 m": a band from 0 m.
_SEA_RE = re.compile(
    rf"(?:\bfrom\s+)?(?:\bsea[\s-]+level|\b(?:the\s+)?(?:lowlands?|coast|plains?)\b)"
    rf"\s*(?:-|–|—|to|up\s+to|and)\s*(?:about\s+|c\.\s*|ca\.\s*)?(?P<hi>{_NUM})\s*"
    rf"(?P<u>{_UNIT})", re.I)


def _is_ft(unit: str | None) -> bool:
    return bool(unit) and unit.lower().rstrip(".") in ("ft", "feet", "foot")


#: "1700 and 1800 m" closing a list of altitudes ("400, 600, ..., 1700 and 1800 m").
_LIST_AND_RE = re.compile(r"\s*(?:m\s+)?(?:and|y|und|et|&)\s*", re.I)
_NUM_LIST_BEFORE_RE = re.compile(r"\d[\d,.]*\s*(?:m\b\s*)?,\s*$")


def parse_elevations(sentence: str, distribution: bool = False, habitat: bool = False
                     ) -> list[tuple[float | None, float | None, int, int]]:
    """Elevation statements in one sentence (rule 7 of the module docs); ``habitat``: the
    sentence is in a habitat or altitude field ("Habitat. Puna; 3000-5000 m."), which is
    elevation context like a habitat word.

    Returns
    -------
    list of (lower, upper, start, end)
        Bounds in metres (``None`` = open) and the character span of the
        statement in ``sentence``.

    >>> parse_elevations("It lives above altitudes of 2,500 m (8,200 ft).")
    [(2500.0, None, 9, 46)]
    """
    strong = bool(_STRONG_ELEV_RE.search(sentence))
    weak = habitat or bool(_WEAK_ELEV_RE.search(sentence) or _WEAK_ELEV_LC_RE.search(sentence))
    if not (strong or weak or distribution):
        return []
    # flora extremes in brackets, "(1500–)2000–3000(–3500) m": blanked (same length, so
    # the spans still slice the sentence) and read beside the band they widen (labelling
    # guide, clarification of 2026-12-02): 1500-3500
    extremes = [(x.start(), x.end(), bool(re.match(r"\(\s*\d", x.group())),
                 re.search(_NUM, x.group()).group())  # type: ignore[union-attr]
                for x in _EXTREME_BRACKET_RE.finditer(sentence)]
    sentence = _EXTREME_BRACKET_RE.sub(lambda m: " " * len(m.group()), sentence)
    out: list[tuple[float | None, float | None, int, int]] = []
    for m in _SEA_RE.finditer(sentence):
        hi = _to_m(m.group("hi"), m.group("u"))
        if 0 < hi <= ELEVATION_RANGE_M[1] and (strong or weak or hi >= ELEVATION_MIN_PLAIN_M) \
                and (strong or not _is_km(m.group("u"))):
            out.append((0.0, hi, m.start(), m.end()))
    taken = [(a, b) for _lo, _hi, a, b in out]
    for m in _ELEV_RE.finditer(sentence):
        if any(a < m.end() and m.start() < b for a, b in taken):
            continue
        prep = re.sub(r"\s+", " ", (m.group("prep") or "").lower())
        if not strong and (_is_km(m.group("u")) or _is_km(m.group("u2"))):
            continue  # kilometres are distances unless altitude is named
        if m.group("lo") is not None and _LIST_AND_RE.fullmatch(
                sentence[m.end("lo"):m.start("hi")]) and _NUM_LIST_BEFORE_RE.search(
                sentence[max(0, m.start() - 40):m.start()]):
            continue  # "at elevations of 400, 600, ..., 1700 and 1800 m": points, no band
        if m.group("lo") is not None:
            u1, u2 = m.group("u1") or m.group("u2"), m.group("u2")
            lo, hi = _to_m(m.group("lo"), u1), _to_m(m.group("hi"), u2)
            main_ft = _is_ft(u2)
        else:
            lo = hi = _to_m(m.group("v"), m.group("u"))
            main_ft = _is_ft(m.group("u"))
        if m.group("alt") and main_ft and not _is_ft(m.group("au")):
            alo = _to_m(m.group("alo"), m.group("au"))
            ahi = _to_m(m.group("ahi"), m.group("au")) if m.group("ahi") else alo
            lo, hi = (alo, ahi) if m.group("lo") is not None or m.group("ahi") else (alo, alo)
        if m.group("lo") is not None:
            bounds: tuple[float | None, float | None] = (min(lo, hi), max(lo, hi))
            bounded = True
            for xa, xb, lower, num in extremes:
                if lower and xb <= m.start() and not sentence[xb:m.start()].strip():
                    bounds = (min(bounds[0] or 0.0, _to_m(num, u2)), bounds[1])
                elif not lower and m.start() < xa < m.end():
                    bounds = (bounds[0], max(bounds[1] or 0.0, _to_m(num, u2)))
        elif prep in _MIN_PREPS:
            bounds, bounded = (lo, None), True
        elif prep in _MAX_PREPS:
            bounds, bounded = (None, hi), True
        elif prep in _POINT_PREPS:
            bounds, bounded = (lo, hi), prep == "at"
        else:
            if not (_BEFORE_BARE_RE.search(sentence[:m.start()])
                    or _AFTER_BARE_RE.match(sentence[m.end():])):
                continue
            bounds, bounded = (lo, hi), False
        vals = [b for b in bounds if b is not None]
        if not all(ELEVATION_RANGE_M[0] <= b <= ELEVATION_RANGE_M[1] for b in vals):
            continue
        if not strong and not (bounded and all(b >= 100 for b in vals)):
            continue
        if not (strong or weak) and not (
                prep in ("at", "between", *_MIN_PREPS, *_MAX_PREPS) and bounded
                and all(b >= ELEVATION_MIN_PLAIN_M for b in vals)):
            continue
        out.append((bounds[0], bounds[1], m.start(), m.end()))
    for m in _TREELINE_RE.finditer(sentence):  # "to tree-line at 4400 m"
        if not any(a < m.end() and m.start() < b for _lo, _hi, a, b in out):
            hi = _to_m(m.group("v"), m.group("u"))
            if ELEVATION_RANGE_M[0] <= hi <= ELEVATION_RANGE_M[1]:
                out.append((None, hi, m.start(), m.end()))
    out.sort(key=lambda t: t[2])
    # a lower bound then an upper bound in one sentence are one band ("from 3200 m to
    # tree-line in 4400 m", "above 2,500 m and below 4,000 m")
    merged: list[tuple[float | None, float | None, int, int]] = []
    for lo, hi, a, b in out:
        if merged:
            plo, phi, pa, pb = merged[-1]
            if (phi is None and plo is not None and lo is None and hi is not None
                    and hi > plo and a - pb <= 60):
                merged[-1] = (plo, hi, pa, b)
                continue
        merged.append((lo, hi, a, b))
    return merged


_FIELD_RE = re.compile(
    r"^\s*(?:range\s+|altitudinal\s+|elevational\s+)?"
    r"(?:(?P<which>upper|lower|maximum|minimum|max\.?|min\.?|highest|lowest)\s+)?"
    r"(?:elevation(?:al)?|altitud(?:e|inal)|elevations|altitudes|alt\.|elev\.)"
    # "Elevation Lower Limit:", "Elevation (upper limit):"
    r"(?:\s+\(?(?P<which2>upper|lower|maximum|minimum)\)?)?"
    r"(?:\s+\(?(?:limits?|range|band|zone)\)?)?\s*(?:\((?P<unit>[^)]{1,12})\))?\s*:\s*"
    r"(?P<body>.+?)\s*$", re.I | re.S)
_FIELD_NUM_RE = re.compile(
    rf"(?P<lo>{_NUM})(?:\s*(?P<u1>{_UNIT}|km))?(?:{_DASH}(?P<hi>{_NUM}))?\s*(?P<u>{_UNIT}|km)?")


def _field_band(sentence: str, section: str = ""
                ) -> tuple[float | None, float | None, int, int] | None:
    """A structured elevation field ("Upper elevation limit (metres): 4000",
    "Elevation: 2000–3500 m") as (lower, upper, start, end), else ``None``."""
    m = _FIELD_RE.match(sentence)
    if not m:
        return None
    body = m.group("body")
    n = _FIELD_NUM_RE.search(body)
    if not n or n.start() > 12:
        return None
    unit = n.group("u") or n.group("u1") or m.group("unit") or "m"
    unit = unit.strip().lower()
    if unit in ("metres", "meters", "metre", "meter", "m"):
        unit = "m"
    lo = _to_m(n.group("lo"), unit)
    hi = _to_m(n.group("hi"), unit) if n.group("hi") else None
    which = (m.group("which") or m.group("which2") or "").lower().rstrip(".")
    a, b = m.start("body") + n.start(), m.start("body") + n.end()
    if which in ("upper", "maximum", "max", "highest"):
        return (None, hi if hi is not None else lo, a, b)
    if which in ("lower", "minimum", "min", "lowest"):
        return (lo, None, a, b)
    if hi is None:
        return None  # one altitude is not a band
    return (min(lo, hi), max(lo, hi), a, b)


_SEASON_RE = re.compile(
    r"\b(?:winters?|wintering|summers?|breed(?:s|ing)?|non-?breeding|seasons?|seasonal(?:ly)?|"
    r"descend(?:s|ing)?|ascend(?:s|ing)?|migrat\w*|monsoon|autumn|moult\w*)\b", re.I)
_EXTREME_RE = re.compile(
    r"\b(?:rarely|occasionally|exceptionally|sometimes|once|casually|stragglers?|vagrants?|"
    r"as\s+(?:high|low)\s+as|extremes?|record(?:ed)?\s+(?:up\s+)?to)\b", re.I)
_BREEDING_RE = re.compile(r"\b(?:breed(?:s|ing)?|nest(?:s|ing)?|summers?)\b", re.I)
_WINTER_RE = re.compile(r"\b(?:winter\w*|non-?breeding|descend\w*)\b", re.I)
_SUBSP_WORD_RE = re.compile(r"\b(?:subspecies|ssp\.|subsp\.|races?|nominate)\b", re.I)
_CLAUSE_CUT_RE = re.compile(r";|,\s|\(|\)|\s[-–—]\s|\bwhile\b|\bwhereas\b|\bbut\b", re.I)


def _clause(sentence: str, a: int, b: int) -> tuple[int, int]:
    """Span of the clause around ``sentence[a:b]`` (cut at ; , ( ) dashes)."""
    cuts = [m for m in _CLAUSE_CUT_RE.finditer(sentence)]
    left = max((m.end() for m in cuts if m.end() <= a), default=0)
    right = min((m.start() for m in cuts if m.start() >= b), default=len(sentence))
    return left, right


_FRONTED_RE = re.compile(
    r"\s*(?:In|At|From|Within|Across|Throughout)\b[^,;]{0,100}?"
    r"(?:,|(?=\s(?:it|they|this\s+species|the\s+species)\s))")
_BETWEEN_PLACE_BAND_RE = re.compile(
    r"^[\s,:(]*(?:(?:it\s+)?(?:is|occurs|lives|ranges)\s+)?(?:at|from|between|up\s+to|to|"
    r"around|about)?\s*(?:(?:altitudes?|elevations?)\s+)?(?:of\s+)?$", re.I)
_RECORD_RE = re.compile(
    r"\b(?:recorded|observed|seen|sighted|photographed|collected|camera[\s-]trapped|"
    r"trapped|captured|found)\b[^;]*\b(?:1[89]\d\d|20\d\d)\b", re.I)


def _band_scope(sentence: str, a: int, b: int, lo: float | None, hi: float | None,
                places: Sequence[tuple[int, int]], subspecies: bool, n_bands: int = 1
                ) -> str:
    """What an elevation statement covers (rule 7).

    ``point`` a single altitude; ``subspecies`` in a subspecies statement;
    ``seasonal`` (winter, breeding, descends ...); ``extreme`` (rarely,
    occasionally, as high as ...); ``record`` an observation with a year ("recorded
    at 3,730-4,227 m in 2015"); ``regional`` a band tied to one place: after a fronted
    "In <place>, ..." or right after a place when the sentence gives several bands
    ("in Nepal 3,000-4,000 m, in China 2,500-4,500 m"); else ``species``.
    """
    left, right = _clause(sentence, a, b)
    clause = sentence[left:right]
    if lo is not None and lo == hi and not re.search(r"[-–—]|\bto\b|\band\b",
                                                      sentence[a:b]):
        return "point"
    if subspecies or _SUBSP_WORD_RE.search(clause):
        return "subspecies"
    if _SEASON_RE.search(clause):
        return "seasonal"
    if _EXTREME_RE.search(clause):
        return "extreme"
    if _RECORD_RE.search(sentence[left:]):
        return "record"
    fr = _FRONTED_RE.match(sentence)
    if fr and fr.end() <= a and any(fr.start() <= ps and pe <= fr.end() for ps, pe in places):
        return "regional"
    if n_bands > 1 and any(pe <= a and _BETWEEN_PLACE_BAND_RE.match(sentence[pe:a])
                           for _ps, pe in places):
        return "regional"
    return "species"


# --------------------------------------------------------------------------- core

#: A subspecies line gives that subspecies' range ("Sakhalin - M. m. sachalinensis").
_SUBSPECIES_LINE_RE = re.compile(r"(?:^|\s)[-–—:]\s|[-–—]\s*$|\s[-–—]")


_LIST_FILLER = frozenset("""
and or the of in to from including incl also as well per parts part region regions province
provinces state states mountains mountain mts mt range ranges extreme far throughout
north south east west northern southern eastern western central centre center northeastern
northwestern southeastern southwestern north-eastern north-western south-eastern south-western
northeast northwest southeast southwest ne nw se sw ec wc nc sc
""".split())


_MONTHS = (r"(?:January|February|March|April|May|June|July|August|September|October|"
           r"November|December|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept?|Oct|Nov|Dec)\.?")
#: What may follow a caption's country: a date ("July 2017", "2011") and table rules.
_CAPTION_TAIL_RE = re.compile(rf"\s*(?:,\s*(?:{_MONTHS}\s+)?(?:1[89]|20)\d\d)?[\s|]*$")


def _is_caption(line: str, places: Sequence[Any], offset: int) -> bool:
    """Whether a heading line is a photo caption ending in a country: "Valais,
    Switzerland, June 2017", "Asturias Mts, Spain, July 2011", "Lobelia giberroa,
    Bwindi Impenetrable Forest, Rwanda | |" (two or more comma-separated parts)."""
    countries = [m for m in places if m.kind == "country"]
    if not countries or line.count(",") < 1:
        return False
    last = max(countries, key=lambda m: m.end)
    if any(m.start > last.start for m in places):
        return False
    before = line[:last.start - offset]
    return bool(re.search(r",\s*$", before)) and bool(
        _CAPTION_TAIL_RE.fullmatch(line, last.end - offset))


def _place_list(sentence: str, spans: Sequence[tuple[int, int]]) -> bool:
    """Whether a sentence is a bare list of places ("W Sichuan, E Xizang, NW Yunnan"):
    outside brackets ("(Muli)") it has only place names, compass words and connectives."""
    if not spans:
        return False
    rest = list(sentence)
    for a, b in spans:
        rest[a:b] = [" "] * (b - a)
    outside = re.sub(r"\([^()]*\)|\[[^\[\]]*\]", " ", "".join(rest))
    words = [w for w in re.findall(r"[^\W\d_][\w'’.-]*", outside)
             if w.lower().strip(".") not in _LIST_FILLER and len(w.strip(".")) > 1
             and not re.fullmatch(r"[A-Z]{2,}|(?:[A-Z]\.){2,}", w)]  # "POWO", "U.S.A."
    return not words


_ABBR_ITEM_RE = re.compile(r"(?<![\w.])(?:[A-Z][a-z]{0,4}\.|(?:[A-Z]\.){2,3})(?=\s*(?:[,;]|$))")
_BAND_CLAUSE_RE = re.compile(rf"{_NUM}\s*{_DASH}\s*{_NUM}\s*(?:{_M}|{_FT})")


def _habitat_line_places(sentence: str, spans: Sequence[tuple[int, int]]) -> bool:
    """Whether a sentence is a flora's habitat line with its places in ";" clauses after
    the band (Flora of North America: "Rocky slopes, open forest; 1500-3400 m; Alta.,
    B.C.; Ariz., Calif., Colo."): a clause that is a bare list of two or more places,
    after a clause holding an elevation band."""
    cuts = [-1] + [k for k, c in enumerate(sentence) if c == ";"] + [len(sentence)]
    band_seen = False
    for a, b in zip(cuts, cuts[1:], strict=False):
        a += 1
        inner = [(x - a, y - a) for x, y in spans if a <= x and y <= b]
        clause = sentence[a:b]
        if sum(clause[y:y + 1] == "." for _x, y in inner) >= 2:
            # a list of abbreviations ("Ariz., Calif., Mont., Nev."): the ones that are
            # no name of their own ("Mont.", "B.C.") are items of the list too
            clause = _ABBR_ITEM_RE.sub(lambda m: " " * len(m.group()), clause)
        if band_seen and len(inner) >= 2 and _place_list(clause, inner):
            return True
        band_seen = band_seen or bool(_BAND_CLAUSE_RE.search(sentence, a, b))
    return False


#: "range" as a noun of the relief, not the taxon's range: "mountain range(s)", "a range
#: of hills", a capitalised name ("the Alaska Range", "Bismarck-Schrader Range").
_MOUNTAIN_BEFORE_RE = re.compile(r"\bmountains?\s+$", re.I)
_CAPITAL_BEFORE_RE = re.compile(r"([A-Z][\w'’.-]*)\s+$")
#: Capitalised words before "Range" in labels and headings, not in mountains' names.
_RANGE_LABEL_WORDS = frozenset({
    "geographic", "geographical", "breeding", "native", "global", "current", "known",
    "natural", "distribution", "species", "wintering", "winter", "summer", "elevation",
    "elevational", "altitudinal", "altitude", "home", "historic", "historical", "and"})
_RELIEF_AFTER_RE = re.compile(r"\s+of\s+(?:mountains|hills|peaks)\b", re.I)


def _relief_range(text: str, m: re.Match[str]) -> bool:
    """Whether the cue ``m`` is the word "range" naming mountains, not a distribution."""
    word = m.group()
    if word.lower() not in ("range", "ranges"):
        return False
    before = text[max(0, m.start() - 40):m.start()]
    if re.search(r"\bhome[ -]$", before, re.I):
        return True  # "home ranges in Mongolia averaged 23 km2": an animal's area
    cap = _CAPITAL_BEFORE_RE.search(before)
    if word[0].isupper() and cap and cap.group(1).lower() not in _RANGE_LABEL_WORDS:
        return True  # "the Alaska Range" (not "Geographic Range", "Range: ...")
    if word.lower() == "ranges" and _RANGES_COUNTED_RE.search(before):
        return True  # "the Andes is split into several ranges"
    if _RANGE_SIZE_AFTER_RE.match(text, m.end()):
        return True  # "This range is about 7,000 km long"
    return bool(_MOUNTAIN_BEFORE_RE.search(before) or _RELIEF_AFTER_RE.match(text, m.end()))


#: Before "ranges", words that count or sort mountain ranges ("split into several ranges",
#: "two parallel ranges", "the coastal ranges"): relief, not a distribution.
_RANGES_COUNTED_RE = re.compile(
    r"\b(?:several|many|numerous|two|three|four|five|parallel|separate|minor|coastal|"
    r"individual|subsidiary|isolated\s+mountain)\s+$", re.I)
#: After "range", its size: "This range is about 7,000 km long", "... is 200 to 700 km
#: wide" (numbers lost in a scraped page: "is about long").
_RANGE_SIZE_AFTER_RE = re.compile(
    r"\s+(?:is|are|was|were)\s+(?:about|approximately|some|over|nearly|roughly|around|"
    r"almost|more\s+than)?[\s\d,.–-]*(?:to\s+[\d,.]+\s*)?(?:km|kilometres|kilometers|miles|mi|m)?"
    r"\s*(?:long|wide|high|in\s+length)\b", re.I)


def _first(patterns: Sequence[re.Pattern[str]], text: str) -> str | None:
    hits = [m for p in patterns for m in p.finditer(text) if not _relief_range(text, m)]
    if not hits:
        return None
    best = min(hits, key=lambda m: m.start())
    return " ".join(best.group().split())


_ANAPHORA_RE = re.compile(
    r"^[\W_]*(?:" + "|".join(re.escape(a).replace(r"\ ", r"\s+") for a in ANAPHORA) + r")\b",
    re.I,
)


def _display_name(forms: list[tuple[str, bool]]) -> str:
    """Display form of a common name: as written mid-sentence, else lower case."""
    for disp, initial in forms:
        if not initial:
            return disp
    return forms[0][0].lower()


def extract_text(text: str, document: str, gaz: Gazetteer) -> list[TaxonRecord]:
    """Extract the taxa of one document with their range places and elevations.

    Parameters
    ----------
    text : str
        The document text.
    document : str
        Its name, used in evidence.
    gaz : Gazetteer
        Place names.

    Returns
    -------
    list of TaxonRecord
        One per taxon named in the text (unmerged, in order of first mention).
    """
    # HTML markup left in scraped pages ("Gansu, Qinghai<br />", "<strong>The</strong>re")
    # is read as the line breaks it stands for, evidence mapped back to the text as given.
    # Text from PDFs breaks words at line ends ("dis-\ntributed", "Paki-\nstan"): the
    # rules read the joined words, and evidence is mapped back to the text as given.
    plain, back0 = _unmark(text)
    norm, back = _dehyphenate(plain)
    if back0 is not None:
        back = back0 if back is None else [back0[k] for k in back]
    recs = _extract_text(norm, document, gaz)
    if back is not None:
        _map_evidence(recs, text, back)
    return recs


#: HTML markup left in scraped text: line breaks, block tags (a line break each: "<p>",
#: "</div>", "<li>") and inline tags ("<i>", "<strong>", "<span class=...>": dropped).
_BREAK_TAG_RE = re.compile(r"<br\s*/?>", re.I)
_MARKUP_RE = re.compile(
    r"(?P<block><br\s*/?>|</?(?:p|div|li|ul|ol|tr|table|tbody|thead|h[1-6]|dd|dt|dl|"
    r"blockquote)\b[^<>\n]{0,200}>)"
    r"|(?P<inline></?(?:i|b|em|strong|span|sup|sub|font|a|u|small|td|th|abbr|cite)\b"
    r"[^<>\n]{0,200}>)|(?P<space>&nbsp;|&#160;)", re.I)
#: A line ending in a break tag and followed by one blank line: the doubled line ends of
#: a scraped page ("...several<br />", "", "much-branched ...").
_DOUBLED_BREAK_RE = re.compile(r"<br\s*/?>[ \t]*\r?\n[ \t]*\r?\n(?=[ \t]*\S|\s*$)", re.I)


def _unmark(text: str) -> tuple[str, list[int] | None]:
    """``text`` with the HTML markup of a scraped page read as what it stands for, and for
    every position of it the position in ``text`` (``None`` when there was no markup): a
    break or block tag is a line break (none of its own when a line break follows it), an
    inline tag is dropped ("<strong>The</strong>re" is "There"), ``&nbsp;`` is a space.
    When most lines end in a break tag with one blank line after each (the page's line
    ends were doubled when it was scraped), the blank line is part of the break: a
    wrapped line, not a paragraph end."""
    if "<" not in text and "&" not in text:
        return text, None
    lines = [ln for ln in text.splitlines() if ln.strip()]
    ends = sum(1 for ln in lines if re.search(r"<br\s*/?>\s*$", ln, re.I))
    doubled = ends >= 3 and ends * 2 >= len(lines) and \
        len(_DOUBLED_BREAK_RE.findall(text)) * 5 >= ends * 4
    edits: list[tuple[int, int, str]] = []
    if doubled:
        for m in _DOUBLED_BREAK_RE.finditer(text):
            edits.append((m.start(), m.end(), "\n"))
    for m in _MARKUP_RE.finditer(text):
        if any(a <= m.start() < b for a, b, _r in edits):
            continue
        if m.group("block"):
            after = re.match(r"[ \t]*(?:\r?\n|$)", text[m.end():m.end() + 80])
            edits.append((m.start(), m.end(), "" if after else "\n"))
        else:
            edits.append((m.start(), m.end(), " " if m.group("space") else ""))
    if not edits:
        return text, None
    edits.sort()
    parts: list[str] = []
    back: list[int] = []
    pos = 0
    for a, b, rep in edits:
        if a < pos:
            continue
        parts.append(text[pos:a])
        back.extend(range(pos, a))
        parts.append(rep)
        back.extend([a] * len(rep))
        pos = b
    parts.append(text[pos:])
    back.extend(range(pos, len(text) + 1))  # + the end position
    return "".join(parts), back


#: A word broken at a line end by a hyphen: lower-case letters on both sides.
_HYPHEN_BREAK_RE = re.compile(r"(?<=[a-z])-[ \t]*\r?\n[ \t]*(?=[a-z])")


def _dehyphenate(text: str) -> tuple[str, list[int] | None]:
    """The text with line-end hyphenation joined, and for every position of it the
    position in ``text`` (``None`` when nothing was joined)."""
    cuts = list(_HYPHEN_BREAK_RE.finditer(text))
    if not cuts:
        return text, None
    parts: list[str] = []
    back: list[int] = []
    pos = 0
    for m in cuts:
        parts.append(text[pos:m.start()])
        back.extend(range(pos, m.start()))
        pos = m.end()
    parts.append(text[pos:])
    back.extend(range(pos, len(text) + 1))  # + the end position
    return "".join(parts), back


def _map_evidence(recs: list[TaxonRecord], text: str, back: list[int]) -> None:
    """Map the evidence spans of records read from the joined text back to ``text``."""

    def ev(e: Evidence) -> Evidence:
        start = back[e.start]
        end = back[e.end - 1] + 1 if e.end > e.start else start
        return Evidence(e.document, start, end, e.sentence)

    for r in recs:
        for p in r.places:
            p.ev = ev(p.ev)
            p.surface = text[p.ev.start:p.ev.end]
        for x in r.excluded:
            x.ev = ev(x.ev)
        for el in r.elevations:
            el.ev = ev(el.ev)
        r.prefs = [(h, ev(e)) for h, e in r.prefs]


def _extract_text(text: str, document: str, gaz: Gazetteer) -> list[TaxonRecord]:
    """:func:`extract_text` on text whose line-end hyphenation is joined."""
    sents = split_sentences(text)
    if not sents:
        return []
    starts = [s.start for s in sents]
    mentions = gaz.find_mentions(text, [(s.start, s.end) for s in sents])
    taxa, links = _find_taxa(text, sents)
    taxa = _shortened_names(taxa, links)
    taxa, mentions = _names_vs_places(taxa, mentions, links)
    mentions = _drop_region_modifiers(text, mentions)
    mentions = _country_anaphora(text, mentions, gaz)
    # a place in an image's file name ("... Zoo Salzburg 2014 g-crop.jpg") is none
    files = [(m.start(), m.end()) for m in _IMAGE_FILE_RE.finditer(text)]
    mentions = [m for m in mentions if not any(a <= m.start < b for a, b in files)]
    taxa = [t for t in taxa if not _SPECIES_GROUP_RE.match(text, t.end)
            and not _group_trinomial(t)]
    taxa = _single_species_genus(taxa)
    # the genera of the document's species (a genus alone as a subject is not a species)
    genera = sorted({t.key[1].split()[0] for t in taxa if t.key[0] == "sci"})

    forms: dict[str, list[tuple[str, bool]]] = {}
    for t in taxa:
        if t.common is not None and t.display is not None:
            forms.setdefault(t.common, []).append((t.display, t.initial))
    records: dict[tuple[str, str], TaxonRecord] = {}

    def record(key: tuple[str, str]) -> TaxonRecord:
        rec = records.get(key)
        if rec is None:
            if key[0] == "genus":
                common, sci = GROUP_NOUNS[key[1]]
                rec = TaxonRecord(common, sci, "genus", [common])
            elif key[0] == "gen":
                rec = TaxonRecord(key[1], key[1], "genus")
            elif key[0] == "sci":
                rec = TaxonRecord(key[1], key[1], "species")
            else:
                rec = TaxonRecord(_display_name(forms.get(key[1], [(key[1], True)])), None,
                                  "species")
            rec.documents.append(document)
            records[key] = rec
        return rec

    for t in taxa:
        rec = record(t.key)
        if t.subspecies and t.subspecies not in rec.subspecies:
            rec.subspecies.append(t.subspecies)
        if t.common is not None and t.display is not None:
            disp = _display_name(forms[t.common])
            if disp.lower().replace("-", " ") not in {
                c.lower().replace("-", " ") for c in rec.common_names
            }:
                rec.common_names.append(disp)
            if rec.name == rec.scientific_name and rec.rank == "species":
                rec.name = disp

    main = next((t.key for t in taxa if t.key[0] not in ("genus", "gen")), None) or next(
        (t.key for t in taxa), None)
    if any(t.key[0] == "gen" for t in taxa):  # a genus document: the genus is its subject
        main = next(t.key for t in taxa if t.key[0] == "gen")
    # a paper describing one new species ("Liolaemus x sp. nov." in its key words) is
    # about it, though it names a relative first ("The new species is a member of the
    # Liolaemus darwinii complex")
    main = _new_species(text, taxa) or main
    if main is not None:
        # for warnings: a document that speaks of its built-in genus more often than of
        # its first species ("Musk deer are found ...") is about the genus
        counts: dict[tuple[str, str], int] = {}
        for t in taxa:
            counts[t.key] = counts.get(t.key, 0) + 1
        top = max(counts, key=lambda k: counts[k])
        record(top if top[0] in ("genus", "gen") and counts[top] > counts.get(main, 0)
               else main).subject = True
    by_sent: dict[int, list[_TaxonMention]] = {}
    for t in taxa:
        by_sent.setdefault(_sentence_index(starts, t.start), []).append(t)
    places_by_sent: dict[int, list[Mention]] = {}
    for m in mentions:
        places_by_sent.setdefault(_sentence_index(starts, m.start), []).append(m)

    # accounts: in a document of several species accounts (a checklist, a page of Red
    # List profiles), each account's name line owns what follows it up to the next one
    headers = _account_headers(text, sents, by_sent, main)
    # a survey or checklist abstract: the study area's places (sentences that name no
    # taxon) are those of every species it lists, not only of the first one
    inventory = [] if headers else _inventory_species(text, sents, by_sent)
    account: tuple[str, str] | None = None
    before_first = bool(headers) and min(headers) > 0
    carry: tuple[str, str] | None = None
    carry_doc = False  # the carried taxon is the document's subject by default only
    prev_para, prev_section = -1, ""
    # the taxa of the last sentence that listed several ("A together with B and C ..."),
    # for a later plural subject ("They inhabit ...", "These three species ...")
    group: list[tuple[str, str]] = []
    for i, s in enumerate(sents):
        # the previous sentence's taxon does not reach over a paragraph, a new section or
        # a field label written inline ("... the size of a large house cat. Habitat. High
        # (3000-4500 m) ...": the habitat is the subject's, not the house cat's)
        if s.paragraph != prev_para or s.section != prev_section or _bare_label(s.text):
            carry = None
            group = []
        prev_para, prev_section = s.paragraph, s.section
        own = by_sent.get(i, [])
        # taxa named only as another taxon's relative, prey, host or comparison ("It
        # differs from P. x", "Unlike P. x, ...", "its predator, the snow leopard"):
        # never the sentence's taxon nor listed with it
        related = {id(t) for t in own if _is_related(s.text, t.start - s.start)}
        free = [t for t in own if id(t) not in related]
        if i in headers:
            account, before_first = headers[i], False
        fallback = account or main
        plural = bool(group) and not own and not s.heading and bool(
            _PLURAL_SUBJECT_RE.match(s.text))
        if free:
            listed = max((keys for _a, _b, keys in _taxon_lists(s, free)), key=len)
            group = [k for k in listed if k[0] == "sci"] if len(listed) > 1 else []
        if plural:
            key = group[0]
        elif s.heading:
            key = own[0].key if own else fallback
        elif (ana := _ANAPHORA_RE.match(s.text)) and not (
                own and not s.text[ana.end():own[0].start - s.start].strip()):
            # (not "The species Tyto alba occurs ...": a name right after is the taxon)
            key = carry or fallback
        elif free:
            key = free[0].key
        else:
            key = carry or fallback
        # before the first name line of a checklist: the end of an account whose name is
        # not in the text (its places are listed as excluded, not given to the next taxon)
        foreign = before_first and not own and carry is None
        # a statement of the study area: no taxon named, and none carried over from an
        # earlier sentence that named one (anaphora and plural subjects are taxa's)
        study_area = (bool(inventory) and not own and (carry is None or carry_doc)
                      and not plural and not s.heading and account is None and key == main
                      and not _ANAPHORA_RE.match(s.text))
        if not s.heading:
            carry_doc = study_area or (carry_doc and not own and carry is not None)
            carry = None if foreign else key
        if key is None:
            continue
        sentence_rec = rec = record(key)
        # which taxa a place of this sentence belongs to: segments of the sentence, each
        # starting where a taxon (or a list of taxa) takes over (see _segments)
        segs = [(a0, b0, record(k), [record(x) for x in co])
                for a0, b0, k, co in _segments(s, free, key)]
        if plural:  # "These three species ...": the taxa last listed together
            segs = [(0, len(s.text) + 1, record(group[0]), [record(k) for k in group[1:]])]

        def rec_at(pos: int, segs: list[tuple[int, int, TaxonRecord, list[TaxonRecord]]]
                   = segs) -> TaxonRecord:
            for a0, b0, r, _co in segs:
                if a0 <= pos < b0:
                    return r
            return segs[0][2]

        def related_at(pos: int, s: Sentence = s, own: list[_TaxonMention] = own,
                       related: set[int] = related, key: tuple[str, str] = key) -> bool:
            """Whether the place at ``pos`` is said of a taxon named only in passing (in
            comparison, as a relative, prey or host): the labelling guide maps it for
            neither taxon."""
            other = _attached_taxon(s, own, related, pos)
            return other is not None and other != key

        before = {id(r): (len(r.places), len(r.excluded), len(r.elevations))
                  for _a, _b, r, _co in segs}
        sentence_text = " ".join(s.text.split())
        excluded_section = (bool(s.section) and _is_section(s.section, EXCLUDED_SECTIONS)
                            and not _is_section(s.section, RANGE_SECTIONS))
        sec_status = _section_status(s.section)
        cues = _status_spans(s.text)
        if s.section and s.text.startswith(s.section):
            # the label's own words ("Extant & Origin Uncertain:") are its status, not cues
            cues = [c for c in cues if c[0] >= len(s.section)]
        if s.label_span is not None:
            cues = [c for c in cues if not s.label_span[0] <= c[0] < s.label_span[1]]
        dist = _first(_DIST_RE, s.text)
        if dist is None and s.section and (_is_section(s.section, RANGE_SECTIONS)
                                           or sec_status == "native"):
            dist = f"section '{s.section}'"
        if dist is None and _site_located(text, s):
            dist = "location of a site named before"
        if dist is None and _SUBSPECIES_LINE_RE.search(s.text) and any(
                t.subspecies for t in own):
            dist = "subspecies line"
        places = places_by_sent.get(i, [])
        spans = [(m.start - s.start, m.end - s.start) for m in places]
        if dist is None and not s.heading and _place_list(s.text, spans):
            dist = "list of places"
        if dist is None and not s.heading and _habitat_line_places(s.text, spans):
            dist = "list of places after a band"
        # a photo caption ending in its country ("Valais, Switzerland, June 2017") is a
        # record of the page's taxon, not a heading
        caption = s.heading and not excluded_section and _is_caption(s.text, places, s.start)
        if caption:
            dist = "photo caption"
        if places:
            named_here = {t[0] for m in places if m.kind == "country" for t in m.targets}
            named_here |= _admin1_named_countries(s.text, places, s.start)
            for m in places:
                ms, me = m.start - s.start, m.end - s.start
                rec = rec_at(ms)
                status, reason = "native", ""
                gov = None if ((s.heading and not caption) or excluded_section) \
                    else _governing_cue(cues, ms, me, s.text, spans)
                if s.heading and not caption:
                    status, reason = "non-range", "heading"
                elif foreign:
                    status, reason = "non-range", ("before the first species name line (the "
                                                   "account of a taxon not named here)")
                elif excluded_section:
                    status, reason = "non-range", f"section '{s.section}'"
                elif sec_status not in (None, "native"):
                    status, reason = sec_status, f"{sec_status} (section '{s.section}')"
                elif (_CITATION_RE.search(_line_at(text, m.start, s.text))
                      or _REFERENCE_LINE_RE.search(_line_at(text, m.start, s.text))
                      or _ONLINE_REFERENCE_RE.search(text, m.end, m.end + 40)
                      or _JOURNAL_HEADER_RE.search(s.text[max(0, ms - 50):me + 50])
                      or _JOURNAL_WORD_BEFORE_RE.search(text[max(0, m.start - 12):m.start])):
                    status, reason = "non-range", "bibliographic reference"
                elif _is_affiliation(_line_at(text, m.start, s.text)) \
                        or _in_address(s.text, ms, me):
                    status, reason = "non-range", "author affiliation"
                elif _in_author_list(s.text, ms, me):
                    status, reason = "non-range", "name of an author"
                elif _is_author_citation(s.text, ms, me):
                    status, reason = "non-range", "author of a cited work"
                elif _in_work_title(s.text, ms, me):
                    status, reason = "non-range", "title of a cited work"
                elif _org_after(s.text, me) \
                        or _ORG_BEFORE_RE.search(s.text, max(0, ms - 120), ms):
                    status, reason = "non-range", "name of an organisation"
                elif _in_landform_clause(s.text, ms):
                    status, reason = "non-range", ("description of a landform ('..., which "
                                                   "extends across ...')")
                elif _OUTSIDE_RE.search(s.text[max(0, ms - 40):ms]):
                    status, reason = "non-range", "reference point ('south of', 'outside')"
                elif (why := _not_range_context(
                        s.text, ms, me, spans,
                        genera if rec.rank == "species" else (),
                        any(t.start - s.start < ms for t in own))) is not None:
                    status, reason = "non-range", why
                elif related_at(ms):
                    status, reason = "non-range", ("place of another taxon, named in "
                                                   "comparison or as relative, prey or host")
                elif gov is not None:
                    status, cue = gov
                    reason = (f"non-range context '{cue}'" if status == "non-range"
                              else f"{status} ('{cue}')")
                elif not dist and not study_area:
                    # (the study area of a survey needs no cue: "The salamander fauna
                    # of Nevado de Toluca, Estado de México, Mexico, is reviewed.")
                    status, reason = "non-range", "no distribution cue"
                if m.match == "far" and (status in RANGE_STATUSES or status == "uncertain"):
                    # gazetteer rule 8: an admin-1 name of a far-away country, probably
                    # another place of this name (a status such as 'introduced' is kept)
                    status, reason = "non-range", ("far from every country the document "
                                                   "names (another place of this name?)")
                elif m.match == "elsewhere" and status in RANGE_STATUSES + ("uncertain",):
                    # gazetteer rule 12: "Santiago Province, Chile" is not the Dominican unit
                    status, reason = "non-range", ("another place of this name, in the "
                                                   "country named after it")
                ev = Evidence(document, m.start, m.end, sentence_text)
                for iso3 in m.countries:
                    name = gaz.country_name(iso3)
                    if name:
                        rec.country_names[iso3] = name
                if status not in RANGE_STATUSES and status != "uncertain":
                    if m.kind == "region":
                        rec.excluded.append(_Excluded(m.name, None, reason, ev, status))
                    else:
                        for iso3 in m.countries:
                            nm = m.surface if m.kind == "admin1" else (
                                gaz.country_name(iso3) or m.name)
                            rec.excluded.append(_Excluded(nm, iso3, reason, ev, status))
                    continue
                if m.kind == "admin1" and len(m.countries) > 1:
                    rec.warnings.append((
                        "ambiguous-place",
                        f"{document}: '{m.surface}' may be in "
                        f"{', '.join(m.countries)}; all kept (name the country to choose)"))
                if m.match == "fuzzy":
                    rec.warnings.append((
                        "ambiguous-place",
                        f"{document}: '{m.surface}' read as {m.name} (a close spelling); "
                        "add it to data/boundaries/aliases.csv if that is right"))
                prefix = text[s.start:m.start]
                rdef = gaz.region_def(m.name) if m.kind == "region" else None
                named_with = tuple(c for c in m.countries if c in _clause_named(
                    s.text, places, s.start, ms, named_here)) if m.kind == "region" else ()
                span = None if rdef is None else span_countries(
                    s.text, rdef.countries,
                    [(x.start - s.start, x.end - s.start, x.countries) for x in places
                     if x is not m], (ms, me),
                    lambda c, rd=rdef: gaz.region_end_near(rd, c))
                rec.places.append(_PlaceHit(
                    m.kind, m.name, m.surface, m.targets, qualifiers_before(prefix), ev,
                    qualifier_only=bool(named_with), status=status, reason=reason,
                    named_with=named_with,
                    whole=m.kind == "country" and says_whole(prefix), span=span,
                    polygon_method=None if rdef is None else rdef.method,
                    alternatives=m.alternatives, match=m.match,
                ))
        rec = sentence_rec
        if s.heading or foreign or excluded_section or sec_status not in (None, "native"):
            _share_with_listed(segs, before, s.start)
            if study_area:
                _share_study_area(sentence_rec, [record(k) for k in inventory if k != key],
                                  before[id(sentence_rec)])
            continue
        field_band = _field_band(s.text, s.section)
        if (field_band is None and s.section and re.match(r"\d", s.text)
                and len(s.text.split()) <= 8):
            # the value line under a bare field label ("Range elevation" / "2300 to 6100 m")
            lab = s.section + ": "
            fb = _field_band(lab + s.text) if _FIELD_RE.match(lab + "0") else None
            if fb is not None:
                field_band = (fb[0], fb[1], fb[2] - len(lab), fb[3] - len(lab))
        if field_band is not None:
            lo, hi, a, b = field_band
            rec.elevations.append(_Elev(lo, hi, Evidence(document, s.start + a, s.start + b,
                                                         sentence_text), "field"))
        else:
            bands = parse_elevations(s.text, bool(dist), bool(s.section) and _is_section(
                s.section, _HABITAT_SECTIONS))
            for lo, hi, a, b in bands:
                # a subspecies named in the band's own ";" clause ("ssp. x at 2,000 m; the
                # species at 1,500-3,000 m": only the first band is the subspecies')
                c0 = s.text.rfind(";", 0, a) + 1
                c1 = s.text.find(";", b)
                c1 = len(s.text) if c1 < 0 else c1
                sub = any(t.subspecies and c0 <= t.start - s.start < c1 for t in own)
                gov = _governing_cue(cues, a, b, s.text, spans, backward=False)
                # a hedge ("thought to occur at 2,000-4,000 m") is the guide's uncertain
                # class of places, not of bands: the band stays; former, introduced and
                # non-range bands do not describe the native range
                if gov is not None and gov[0] not in ("reintroduced", "uncertain"):
                    continue
                if _site_band(s.text, a, bool(own)):
                    continue  # a study site's span or an amount, not a taxon's band
                scope = _band_scope(s.text, a, b, lo, hi, spans, sub, len(bands))
                # the words since the previous band ("winters at X and breeds at Y")
                left = max([_clause(s.text, a, b)[0]] + [pb for _l, _h, _pa, pb in bands
                                                         if pb <= a])
                breeding = scope == "seasonal" and bool(
                    _BREEDING_RE.search(s.text[left:b])) and not _WINTER_RE.search(
                    s.text[left:b])
                rec_at(a).elevations.append(_Elev(lo, hi, Evidence(
                    document, s.start + a, s.start + b, sentence_text), scope, breeding))
        _share_with_listed(segs, before, s.start)
        if study_area:
            _share_study_area(sentence_rec, [record(k) for k in inventory if k != key],
                              before[id(sentence_rec)])
        rec.prefs.extend((h, Evidence(document, s.start + h.start, s.start + h.end,
                                      sentence_text)) for h in find_preferences(s.text))
    _share_genus_statements(sents, list(records.values()))
    return list(records.values())


#: The mark of a new species after its binomial ("sp. nov.", "spec. nov.", "sp. n."; not
#: a new subspecies or combination).
_NEW_SPECIES_AFTER_RE = re.compile(
    r"[ \t]*,?[ \t]+(?:gen\.\s?(?:nov|n)\.[ \t]*(?:et|&)[ \t]*)?(?:sp|spec)\.\s?(?:nov|n)\.")


#: A relative clause describing a landform: its capitalised name holding a feature word,
#: then ", which extends/runs/stretches ..." ("the Transverse Volcanic Axis, which extends
#: across Mexico from Jalisco to central Veracruz", "the Sierra Madre Occidental, which
#: runs from Sonora to Durango").
_LANDFORM_CLAUSE_RE = re.compile(
    r"((?:[A-Z][\w'’-]*[ \t]+(?:(?:de|del|of|the)[ \t]+)?){0,4}[A-Z][\w'’-]*)[ \t]*"
    r"(?:\([^()]{0,40}\)[ \t]*)?,[ \t]*(?:which|that)[ \t]+(?:\w+ly[ \t]+)?(?:extends?|runs?|"
    r"stretches|spans?|crosses|reaches|lies|forms?|covers?|traverses|divides?|separates?|"
    r"rises?|flows?|drains?)\b[^;]*$")
_LANDFORM_WORDS = frozenset("""
axis belt range ranges mountains mountain mount mts cordillera sierra serranía plateau
massif ridge chain rift river valley highlands escarpment arc ghats hills volcano
""".split())


def _in_landform_clause(sentence: str, pos: int) -> bool:
    """Whether the place at ``sentence[pos:]`` is inside a relative clause describing a
    landform (:data:`_LANDFORM_CLAUSE_RE`): where the mountains run, not where the taxon
    lives. The clause ends at ";" or where the taxon is the subject again ("and it ...")."""
    head = sentence[max(0, pos - 250):pos]
    m = _LANDFORM_CLAUSE_RE.search(head)
    return bool(m) and any(w.lower().rstrip(".") in _LANDFORM_WORDS
                           for w in m.group(1).split()) and not re.search(
        r"\b(?:and|but|while|where)\s+(?:it|they|the\s+species|this\s+species)\b",
        head[m.start():])


#: A sentence giving where a named site lies: "Mwanihana Forest is on the eastern
#: escarpment of the Uzungwa Mountains, in Kilombero District, Morogoro Region, Tanzania".
_SITE_LOCATED_RE = re.compile(
    r"\W*(?:The\s+)?((?:[A-Z][\w'’-]+\s+){1,4}(?:Forest|Park|Reserve|Sanctuary|Mountains?|"
    r"Massif|Range|Valley|Plateau|Hills|Island|Lake|Volcano))\s+(?:is|lies|are|lie)\s+"
    r"(?:\w+ly\s+)?(?:located\s+|situated\s+)?(?:in|on|at|within)\b")


def _site_located(text: str, s: Sentence) -> bool:
    """Whether sentence ``s`` gives where a site lies that the text named before it (the
    site where its taxa were found: a paper's "Mwanihana Forest ... the discovery there
    of ..." then "Mwanihana Forest is on ... Morogoro Region, Tanzania"); a landform named
    for the first time ("The Alaska Range lies in the United States") is no range
    statement."""
    m = _SITE_LOCATED_RE.match(s.text)
    return bool(m) and " ".join(m.group(1).split()) in " ".join(text[:s.start].split())


#: A sentence about a study site, not a taxon: where it is located, its stations, plots
#: and gradient, the field work, or a named landform as the subject ("It is located at
#: ... 775-1150 m", "These areas are distributed along an altitudinal gradient ... from
#: 1250 m to 2850 m", "Further ornithological work was carried out ... above 1000 m",
#: "The Ankaratra Massif in central Madagascar includes rainforest between 1500 and
#: 2000 m").
_SITE_BAND_RE = re.compile(
    r"\b(?:is|are|was|were)\s+(?:located|situated)\b|\baltitudinal\s+gradient\b|"
    r"\b(?:field\s?work|work|surveys?|sampling)\s+(?:was|were)\s+(?:carried\s+out|conducted|"
    r"undertaken|made)\b|"
    r"\b(?:these|the)\s+(?:study\s+)?(?:areas|sites|plots|stations|transects|localities)\b|"
    r"^\W*(?:The\s+)?(?-i:(?:[A-Z][\w'’-]+\s+){1,3}(?:Massif|Mountains|Forest|Park|Reserve|"
    r"Plateau|Highlands|Valley|Hills))\s+(?:in\s+[^,.;]{0,40}?\s+)?(?:is|are|includes?|"
    r"comprises?|covers?|spans?|has|have)\b", re.I)
#: Before a number, words that make it an amount ("extends the recorded elevational
#: distribution of this bat by more than 1,000 m"), not an elevation.
_AMOUNT_BEFORE_RE = re.compile(
    r"\bby\s+(?:more\s+than\s+|over\s+|about\s+|ca\.\s*|some\s+|at\s+least\s+|almost\s+|"
    r"nearly\s+|approximately\s+)?$", re.I)


def _site_band(sentence: str, a: int, names_taxon: bool) -> bool:
    """Whether the band at ``sentence[a:]`` is not a taxon's: an amount ("by more than
    1,000 m"), or, in a sentence that names no taxon, the span of a study site
    (:data:`_SITE_BAND_RE`)."""
    if _AMOUNT_BEFORE_RE.search(sentence[max(0, a - 30):a]):
        return True
    return not names_taxon and bool(_SITE_BAND_RE.search(sentence))


_THIS_COUNTRY_RE = re.compile(r"\b(?:this|that)\s+country\b", re.I)


def _country_anaphora(text: str, mentions: list[Mention], gaz: Gazetteer) -> list[Mention]:
    """Add "this country" / "that country" as a mention of the country named last before
    it, by its name or its adjective, within 1,000 characters: "... on the basis of
    adequate Ethiopian material. Recorded in this country from elevations of 800-2800 m"
    is a record in Ethiopia."""
    named = [(m.end, m.targets, m.name) for m in mentions
             if m.kind == "country" and len(m.countries) == 1]
    for a in re.finditer(r"\b[A-Z][a-z]+\b", text):
        iso3 = COUNTRY_ADJECTIVES.get(a.group())
        if iso3 and gaz.country_name(iso3):
            named.append((a.end(), ((iso3, None),), gaz.country_name(iso3) or iso3))
    named.sort(key=lambda x: x[0])
    extra: list[Mention] = []
    for x in _THIS_COUNTRY_RE.finditer(text):
        prev = [n for n in named if n[0] <= x.start() and x.start() - n[0] <= 1000]
        if prev:
            _e, targets, name = prev[-1]
            extra.append(Mention(x.start(), x.end(), x.group(), "country", targets, name))
    return sorted(mentions + extra, key=lambda m: m.start) if extra else mentions


#: A statement about the species of a genus named in the text: "Three species of the
#: genus Phrynobatrachus Günther 1862 are recognised in Ethiopia", "All species of
#: Kingdonella ...".
_GENUS_SPECIES_SUBJECT_RE = re.compile(
    r"^\W*(?:(?:two|three|four|five|six|seven|eight|nine|ten|\d+|all|the)\s+(?:\w+\s+)?"
    r"species|(?:all|both)\s+(?:the\s+)?(?:\w+\s+)?species)\s+of\s+(?:the\s+)?(?:genus\s+)?"
    r"([A-Z][a-z]{3,})\b", re.I)


def _share_genus_statements(sents: Sequence[Sentence], records: list[TaxonRecord]) -> None:
    """Give the range places of a sentence about the species of a genus ("Three species of
    the genus Phrynobatrachus ... are recognised in Ethiopia") to every species record of
    that genus in the document, not only to the one the sentence was read for."""
    for s in sents:
        m = _GENUS_SPECIES_SUBJECT_RE.match(s.text)
        if m is None or s.heading:
            continue
        genus = m.group(1)[0].upper() + m.group(1)[1:]
        members = [r for r in records if r.rank == "species" and r.scientific_name
                   and r.scientific_name.split()[0] == genus]
        for r in members:
            hits = [p for p in r.places if s.start <= p.ev.start < s.end]
            for other in members:
                if other is r:
                    continue
                have = {(p.ev.start, p.name) for p in other.places}
                other.places.extend(p for p in hits if (p.ev.start, p.name) not in have)
                for p in hits:
                    for iso3 in {t[0] for t in p.targets}:
                        if iso3 in r.country_names:
                            other.country_names.setdefault(iso3, r.country_names[iso3])


def _group_trinomial(t: _TaxonMention) -> bool:
    """Whether a mention read as a trinomial is a species group ("the Liolaemus darwinii
    complex", "R. boulengeri group"): no mention of that species (see
    :data:`_SPECIES_GROUP_RE`)."""
    return t.subspecies is not None and t.subspecies.rsplit(None, 1)[-1].lower() in {
        "complex", "group", "subgroup", "clade", "lineage"}


def _new_species(text: str, taxa: Sequence[_TaxonMention]) -> tuple[str, str] | None:
    """The one species a text describes as new ("Liolaemus cinereus sp. nov."), if it
    marks exactly one binomial so: the subject of the paper."""
    keys = {t.key for t in taxa if t.key[0] == "sci" and t.subspecies is None
            and _NEW_SPECIES_AFTER_RE.match(text, t.end)}
    return next(iter(keys)) if len(keys) == 1 else None


def _shortened_names(taxa: list[_TaxonMention], links: dict[str, tuple[str, str]]
                     ) -> list[_TaxonMention]:
    """A common name written shorter than a linked one ("The Pamir vole occurs in ..." in
    the account of the "Pamir rock vole (Neodon juldaschi)"; "grass mouse" beside
    "Bolivian Grass Mouse / Akodon boliviensis") denotes that taxon, when its words, head
    last, are a subsequence of exactly one taxon's linked names; it is not a taxon of its
    own that takes the range."""
    def subsequence(short: list[str], long: list[str]) -> bool:
        it = iter(long)
        return all(w in it for w in short)

    out = []
    for t in taxa:
        if t.key[0] == "name" and t.key[1] not in links:
            words = t.key[1].split()
            keys = {k for name, k in links.items()
                    if len(name.split()) > len(words) and name.split()[-1] == words[-1]
                    and subsequence(words, name.split())}
            if len(keys) == 1:
                # linked, so a place word in it is part of the name ("Pamir vole")
                links[t.key[1]] = next(iter(keys))
                t = _TaxonMention(t.start, t.end, next(iter(keys)), t.display, t.initial,
                                  t.common, t.group, t.generic, t.subspecies)
        out.append(t)
    return out


#: After a species name, words that make it the name of a group of species ("the
#: Pristimantis danae species Group, a clade that includes ... distributed in central
#: Peru"): the places of such a sentence are those of the group, not of that species.
_SPECIES_GROUP_RE = re.compile(
    r"\s+(?:species[\s-]+)?(?:group|complex|subgroup|clade|lineage)\b", re.I)


def _drop_region_modifiers(text: str, mentions: list[Mention]) -> list[Mention]:
    """Drop an admin-1 name that is the first word(s) of a longer region name.

    "Maritime Alps", "Western Ghats": an admin-1 name (Maritime, Togo; Western, Kenya)
    followed by nothing but spaces and then a region name is part of that region's
    name, not a place of its own (the whole name wins, as in "Tian Shan"); so is the
    first word of a region name of the document used as an adjective ("the Balkan
    populations" beside "the Balkan Peninsula").
    """
    regions = {m.start for m in mentions if m.kind == "region"}
    # the first word of a region's longer name, used alone as its adjective ("the
    # Balkan populations" in a text naming the Balkan Peninsula) is not the admin-1
    # unit of that name (Balkan, Turkmenistan)
    heads = {m.surface.split()[0].lower() for m in mentions
             if m.kind == "region" and len(m.surface.split()) > 1}
    out = []
    for m in mentions:
        if m.kind == "admin1":
            j = m.end
            while j < len(text) and text[j] in " \t":
                j += 1
            if j > m.end and j in regions and "\n" not in text[m.end:j]:
                continue
            if m.surface.lower() in heads and j > m.end and text[j:j + 1].islower():
                continue
        out.append(m)
    return out


_REGION_OF_RE = re.compile(
    r"^\s*,?\s*(?:in|of|within)\s+(?:the\s+)?(?:[A-Za-z]+(?:ern|ral)\s+)?$", re.I)


def _clause_named(text: str, places: Sequence[Any], offset: int, at: int,
                  named: set[str]) -> set[str]:
    """Of the countries ``named`` in a sentence, those named in the ";" clause at ``at``:
    a clause is a statement of its own (labelling guide rule 3), so "Altai, Tien Shan,
    Pamir, and Himalayan ranges; also C China, Mongolia ..." names none of the
    Himalaya's countries in its first statement."""
    if ";" not in text:
        return named
    a = text.rfind(";", 0, at) + 1
    b = text.find(";", at)
    b = len(text) if b < 0 else b
    inside = [p for p in places if a <= p.start - offset < b]
    here = {t[0] for p in inside if p.kind == "country" for t in p.targets}
    here |= _admin1_named_countries(text, inside, offset)
    return named & here


def _admin1_named_countries(text: str, places: Sequence[Any], offset: int) -> set[str]:
    """Countries a sentence names through an admin-1 unit that qualifies a region.

    "the Maritime Alps, in Cuneo Province", "the Himalaya of Sikkim": a region followed
    by "in"/"of"/"within" and one admin-1 unit is the part of the region in that unit's
    country, as "the Himalayas in India" is for a country (labelling rules 2 and 3). An
    admin-1 unit that is only listed beside the region ("Himalayas, Tibet, Myanmar") or
    placed in it ("Sikkim in the Himalayas") does not narrow the region; nor does an
    admin-1 name of several countries.

    Parameters
    ----------
    text : str
        The sentence.
    places : sequence of Mention
        Its place mentions (document offsets).
    offset : int
        Document offset of the sentence.
    """
    out: set[str] = set()
    for r in places:
        if r.kind != "region":
            continue
        for a in places:
            if (a.kind == "admin1" and len(a.countries) == 1 and a.start >= r.end
                    and _REGION_OF_RE.match(text[r.end - offset:a.start - offset])):
                out.add(a.countries[0])
    return out


#: After a species name, the rest of a name line: an authority with its year, or up to
#: five capitalised or abbreviated words to the end of the line ("Limosella australis
#: R.Br.", "Lindernia nummulariifolia (D.Don) Wettst."), or the names in other languages.
_HEADER_TAIL_RE = re.compile(
    rf"[ \t]*(?:(?:subsp|var|ssp)\.[ \t]+[a-z]+[ \t]+)?(?:{_AUTHORITY}|"
    r"(?:[(\[]?[A-Z][\w.'’-]*[)\]]?,?[ \t]*|(?:&|ex|et|in)[ \t]+){0,5}[ \t]*"
    r"(?:<br\s*/?>[ \t]*)?(?:\r?\n|$)|"
    r"French[ \t]*:)")


def _account_headers(text: str, sents: Sequence[Sentence],
                     by_sent: dict[int, list[_TaxonMention]],
                     main: tuple[str, str] | None) -> dict[int, tuple[str, str]]:
    """Sentences that start a species account: ``{index: key}``.

    A name line is a paragraph that starts with a species name (after a number or a Red
    List category: "CR Eleutherodactylus hamiotae Flores, 1993 ...", "Limosella australis
    R.Br.") followed by its authority or the end of its line. Name lines with no prose
    between them (headings and short lines only) are one taxon's names, the accepted name
    and its synonyms: the document's subject if it is among them, else the first. Returned
    only when a document has accounts of two or more taxa (one name line is simply the
    document's subject).
    """
    runs: list[list[tuple[int, tuple[str, str]]]] = []
    open_run = False
    prev_para = -1
    for i, s in enumerate(sents):
        first_of_para = s.paragraph != prev_para
        prev_para = s.paragraph
        own = [t for t in by_sent.get(i, []) if t.key[0] == "sci"]
        t = min(own, key=lambda x: x.start) if own else None
        lead = text[s.start:t.start] if t is not None else ""
        if (first_of_para and t is not None and len(lead) <= 12
                and not re.search(r"[a-z]{3,}", lead) and _HEADER_TAIL_RE.match(text, t.end)):
            if not open_run:
                runs.append([])
                open_run = True
            runs[-1].append((i, t.key))
        elif not s.heading and len(s.text.split()) >= 5:
            open_run = False  # prose: the next name line starts another account
    out: dict[int, tuple[str, str]] = {}
    for run in runs:
        keys = [k for _i, k in run]
        out[run[0][0]] = main if main in keys else keys[0]
    if len(set(out.values())) >= 2:
        return out
    # one account, but numbered after others ("23) Capricornis thar (Hodgson, 1831)",
    # "82. Saussurea montana J. Anthony ...") and with prose before it: the page starts
    # inside the previous account, whose name is not in the excerpt
    if runs and runs[0][0][0] > 0:
        i0 = runs[0][0][0]
        num = _ACCOUNT_NUMBER_RE.match(text, sents[i0].start)
        if num and int(num.group(1)) > 1 and any(
                not s.heading and len(s.text.split()) >= 5 for s in sents[:i0]):
            return {i0: out[i0]}
    return {}


#: The number of an account before its name line: "23) ", "82. ", "12a. ".
_ACCOUNT_NUMBER_RE = re.compile(r"[ \t]*(\d{1,4})[a-z]?[.)][ \t]+[A-Z]")


#: Words of a survey, checklist or faunistic/floristic records text.
_INVENTORY_CUE_RE = re.compile(
    r"\b(?:surveys?|inventory|inventories|checklists?|check-list|species\s+list|"
    r"(?:new|first)\s+(?:\w+\s+)?records?|records\s+of|recorded|herpetofauna|avifauna|"
    r"(?:mammal|bird|amphibian|reptile|insect|beetle)\s+fauna|floristic|faunistic|"
    r"collections?\s+(?:of|from)|species\s+richness|were\s+(?:observed|collected|found))\b"
    # a paper describing several new taxa ("A x subspec. nov., B y spec. nov. and C z sp.
    # nov. are described from ..."): its title's and study area's places are theirs
    r"|\b(?:sp|spec|ssp|subsp|subspec)\.\s?nov\.", re.I)


def _inventory_species(text: str, sents: Sequence[Sentence],
                       by_sent: dict[int, list[_TaxonMention]]) -> list[tuple[str, str]]:
    """The species of a survey or checklist text, in order: the binomials it names in
    lists of two or more, when there are three or more of them and the text has a
    survey or records cue ("Bird surveys were carried out in ..., Arunachal Pradesh,
    India. The survey recorded three threatened (Blyth's Tragopan blythii, ...)");
    else none."""
    if not _INVENTORY_CUE_RE.search(text):
        return []
    out: list[tuple[str, str]] = []
    for i, s in enumerate(sents):
        own = by_sent.get(i, [])
        if len({t.key for t in own}) < 2:
            continue
        for _a, _b, keys in _taxon_lists(s, own):
            sci = [k for k in keys if k[0] == "sci"]
            if len(sci) >= 2:
                out.extend(k for k in sci if k not in out)
    return out if len(out) >= 3 else []


def _share_study_area(rec: TaxonRecord, others: Sequence[TaxonRecord],
                      before: tuple[int, int, int]) -> None:
    """Give the places (not the bands: a study area's altitudinal span is no species'
    band) that one sentence gave to ``rec`` to the other species of an inventory."""
    np_, ne, _nv = before
    for c in others:
        c.places.extend(rec.places[np_:])
        c.excluded.extend(rec.excluded[ne:])
        for iso3, name in rec.country_names.items():
            c.country_names.setdefault(iso3, name)


def _share_with_listed(segs: Sequence[tuple[int, int, TaxonRecord, list[TaxonRecord]]],
                       before: dict[int, tuple[int, int, int]], offset: int) -> None:
    """Give the taxa listed with a segment's first taxon the places, exclusions and
    bands that this sentence gave to that taxon within the segment."""
    for a0, b0, r, co in segs:
        if not co:
            continue
        np_, ne, nv = before[id(r)]

        def inside(ev: Evidence, a0: int = a0, b0: int = b0) -> bool:
            return a0 <= ev.start - offset < b0

        hits = [p for p in r.places[np_:] if inside(p.ev)]
        excl = [x for x in r.excluded[ne:] if inside(x.ev)]
        elevs = [e for e in r.elevations[nv:] if inside(e.ev)]
        for c in co:
            c.places.extend(hits)
            c.excluded.extend(excl)
            c.elevations.extend(elevs)
            for p in hits:
                for iso3 in {t[0] for t in p.targets}:
                    if iso3 in r.country_names:
                        c.country_names[iso3] = r.country_names[iso3]
            for x in excl:
                if x.iso3 and x.iso3 in r.country_names:
                    c.country_names[x.iso3] = r.country_names[x.iso3]


#: A plural subject that refers back to the taxa listed before ("They exclusively inhabit
#: ...", "However, because they ...", "These three species ...", "Both species ...").
_PLURAL_SUBJECT_RE = re.compile(
    r"[\W_]*(?:(?:however|thus|therefore|moreover|because|since|as|and|but)[,\s]+)*"
    r"(?:they|these(?:\s+\w+)?\s+(?:species|taxa|animals|plants|birds)|both(?:\s+species)?|"
    r"all\s+(?:three|four|five|six|of\s+them)(?:\s+species)?)\b", re.I)
#: Words right before a taxon's name that make it another taxon's relative, prey, host
#: or term of comparison ("differs from its congener", "similar to", "unlike", "than",
#: "its closest relative is the", "preys on", "host plant"), up to four words between.
_RELATION_BEFORE_RE = re.compile(
    r"(?:\b(?:differs?|differing|different|distinguished|distinguishable|separable|"
    r"separated|diagnosed)\s+from|\b(?:similar|closest|close|closely\s+related|related|"
    r"allied|sister(?:\s+(?:species|taxon|group))?)\s+to|\bunlike|\bthan|"
    r"\bresembl(?:es|ing|ance\s+to)|\bcompared\s+(?:with|to)|\bcomparison\s+(?:with|to)|"
    r"\bin\s+contrast\s+to|\bconfus(?:ed|ion|able)\b(?:\s+\w+){0,3}\s+with|\bcongen(?:ers?|eric)|\brelatives?|"
    r"\bsister\s+(?:species|taxon)\s+of|\bpredators?|\bprey(?:s|ed|ing)?(?:\s+(?:up)?on)?|"
    r"\bhosts?|\bfood\s+plants?|\bfeed(?:s|ing)?\s+(?:\w+ly\s+)?(?:up)?on|"
    r"\bparasit\w*\s+(?:of|on)|\bpollinated\s+by|\bversus|\bvs\.?|\bcompetitors?|"
    # "the closely related X", "a similar species, X", "replaced at higher elevations by X"
    r"\b(?:most\s+)?(?:closely|close)\s+related|\b(?:sympatric|syntopic)\s+with|"
    r"\bsimilar(?:-looking)?\s+(?:species|taxon|congener|form)|\breplaced)"
    r"(?:[\s,:(]+(?!(?:and|or|but|whereas|while)\b)[\w'’.-]+){0,4}?[\s,:(]*$", re.I)

#: What ends the statement about a related taxon ("P. x by its larger size, and is known
#: from Peru", "(unlike P. x from Ecuador) it occurs in Peru"): the subject again.
_RELATED_END_RE = re.compile(
    r";|\bbut\b|\bwhereas\b|\bwhile\b|\balthough\b|\bthough\b|\bhowever\b|"
    r"\band\s+(?:it\s+|is\s+|are\s+|also\s+|only\s+|was\s+)*(?:native|found|occurs?|"
    r"present|resident|breeds|widespread|common|inhabits|lives|known|recorded|distributed|"
    r"restricted|endemic|confined|ranges?)\b|"
    r"\b(?:it|this\s+species|the\s+new\s+species|the\s+species)\s+(?:\w+ly\s+)?(?:occurs|"
    r"is|lives|inhabits|ranges|was)\b", re.I)


#: After a comparison inserted between commas ("P. y, unlike P. x, occurs in Peru"), the
#: main clause's finite verb returns to the subject (a participle does not: "similar to
#: P. x, found in Ecuador" is said of P. x).
_INSERTED_END_RE = re.compile(
    r",\s+(?:also\s+|only\s+|still\s+|mainly\s+)*(?:occurs?|is|are|lives?|inhabits?|"
    r"ranges?|breeds?|was|were|has|have)\b", re.I)


def _is_related(sentence: str, pos: int) -> bool:
    """Whether the taxon named at ``sentence[pos:]`` is named as another taxon's
    relative, prey, host or term of comparison (:data:`_RELATION_BEFORE_RE`)."""
    return bool(_RELATION_BEFORE_RE.search(sentence, max(0, pos - 80), pos))


def _attached_taxon(s: Sentence, own: Sequence[_TaxonMention], related: set[int],
                    pos: int) -> tuple[str, str] | None:
    """The taxon named only in passing that a place at ``s.text[pos:]`` is said of: the
    nearest taxon named before the place, when it is a related one ("similar to P. x
    from Ecuador") and nothing between returns to the subject; else ``None``."""
    before = [t for t in own if t.end - s.start <= pos]
    if not before:
        return None
    t = max(before, key=lambda t: t.end)
    if id(t) not in related:
        return None
    a, b = t.start - s.start, t.end - s.start
    between = s.text[b:pos]
    if _RELATED_END_RE.search(between):
        return None
    cue = _RELATION_BEFORE_RE.search(s.text, max(0, a - 80), a)
    if cue is not None and s.text[:cue.start()].rstrip().endswith(",") \
            and _INSERTED_END_RE.search(between):
        return None
    opened = s.text.rfind("(", 0, a)
    if opened > s.text.rfind(")", 0, a) and ")" in between \
            and s.text[opened + 1:a].strip():
        return None  # "(unlike P. x of Ecuador) it occurs in Peru", not "(P. x)"
    return t.key


#: Words between two taxa that end a list of taxa (a verb, a preposition, a comparison):
#: "A and the moss mouse B" is a list, "A, unlike B", "A was found in Peru and B" are not.
_LIST_BREAK_WORDS = frozenset("""
is are was were be been being has have had occur occurs occurred occurring found recorded
known from in at on to of with which that who whose while whereas unlike than but not also
only between near within into by for like except including include includes see cf
""".split())
#: An authority between listed binomials ("Erebia dabanensis (Erschoff, 1871) and ...",
#: "... Erschoff, 1871 and ...").
_LIST_AUTHORITY_RE = re.compile(
    rf"\([^()]{{0,80}}\)|{_AUTHORITY}")
#: What follows a taxon (or a list of taxa) that is the subject of its own clause
#: ("..., while H. vulcanorum is found in Burundi", "... and C was newly documented in
#: Montana").
_SUBJECT_VERB_RE = re.compile(
    r"[ \t]*(?:\([^()]{0,80}\)[ \t]*)?(?:(?:also|only|newly|probably|possibly|just|mainly|"
    r"then|now|still)[ \t]+)?(?:is|are|was|were|has\s+been|have\s+been|occurs?|occurred|"
    r"ranges?|inhabits?|lives?|breeds?|extends?|appears?|remains?|represents?|reaches|"
    r"reach)\b", re.I)


#: Phrases that join two taxa of a list like "and".
_LIST_JOIN_RE = re.compile(r"\b(?:together|along)\s+with\b|\bas\s+well\s+as\b", re.I)
#: A list going on after a group label: "; skinks: ", "; and the snake ".
_LIST_LABEL_GAP_RE = re.compile(
    r"[ \t]*(?:,[ \t]*)?;[ \t]*(?:[a-z]+:[ \t]*)?(?:and[ \t]+)?(?:the[ \t]+(?:[a-z]+[ \t]+)?)?")


#: The mark of a name made in the text itself ("sp. nov.", "spec. nov.", "subspec. nov.",
#: "ssp. n.", "comb. nov."): part of the name, not a break in a list of taxa.
_NOMEN_NOVUM_RE = re.compile(
    r"\b(?:sp|spec|ssp|subsp|subspec|gen|comb|stat)\.\s?(?:nov|n)\.")


#: Words joining the members of a list of taxa: English, Spanish ("y", "e" before i-/hi-:
#: "Histiotus montanus e H. humboldti"), Latin/French "et", Italian/Portuguese "e",
#: German "und".
_LIST_CONJ: tuple[str, ...] = ("and", "or", "y", "e", "et", "und")


def _taxon_lists(s: Sentence, own: Sequence[_TaxonMention]
                 ) -> list[tuple[int, int, list[tuple[str, str]]]]:
    """The taxa of a sentence grouped into lists: ``(start, end, keys)`` relative to the
    sentence, in order. Two taxa are one list when only commas, brackets, "and"/"or" and
    up to four words of a common name stand between them ("Blyth's Tragopan blythii,
    Rufous-necked Aceros nipalensis and ...", "the bat N. microdon and the moss mouse P.
    fuscus"), never a verb, a preposition or a terminal mark."""
    ordered = sorted(own, key=lambda t: t.start)
    out: list[tuple[int, int, list[tuple[str, str]]]] = []
    for t in ordered:
        a, b = t.start - s.start, t.end - s.start
        if out:
            a0, b0, keys = out[-1]
            if a < b0:
                continue
            gap = _NOMEN_NOVUM_RE.sub(" ", _LIST_AUTHORITY_RE.sub(" ", s.text[b0:a]))
            if not gap.strip(" \t\r\n()[]"):
                # the same taxon again, or in apposition ("the Siberian Ibex (C. i.
                # sibirica)"): not a second member of a list
                out[-1] = (a0, b, keys)
                continue
            # "A together with B", "A along with B", "A as well as B"; a list that goes on
            # after a group label ("Frogs: A, B; skinks: C; and the snake D")
            gap = _LIST_JOIN_RE.sub(" and ", gap)
            labelled = bool(_LIST_LABEL_GAP_RE.fullmatch(gap))
            words = [w.lower() for w in _WORD_RE.findall(gap)]
            joined = "," in gap or any(w in _LIST_CONJ for w in words) or "&" in gap
            words = [w for w in words if w not in _LIST_CONJ + ("the", "a", "an")]
            if labelled or joined and not re.search(r"[.;:!?]|\d", gap) and len(words) <= 4 \
                    and not any(w in _LIST_BREAK_WORDS for w in words):
                if t.key not in keys:
                    keys.append(t.key)
                out[-1] = (a0, b, keys)
                continue
        out.append((a, b, [t.key]))
    return out


def _segments(s: Sentence, own: Sequence[_TaxonMention], key: tuple[str, str]
              ) -> list[tuple[int, int, tuple[str, str], list[tuple[str, str]]]]:
    """Parts of a sentence and the taxa their places and bands belong to:
    ``(start, end, first key, keys listed with it)`` relative to the sentence.

    The sentence's taxon ``key`` owns it from its start; a ";" clause that names a taxon
    belongs to its first taxon ("the Alpine Ibex ..., found in ...; the Nubian Ibex ...,
    found in ..."), and so does the rest of the sentence from a taxon that is the subject
    of its own verb ("..., while H. vulcanorum is found in Burundi"). Binomials listed
    together with a part's first taxon share its places ("Sturnira aratathomasi, S.
    erythromos and S. ludovici were captured in Caldas"; "records of Ecuadorian
    Glassfrogs: Centrolene peristictum, Centrolene prosoblepon, ..." when the sentence
    names no other taxon).
    """
    n = len(s.text) + 1
    lists = _taxon_lists(s, own) if own else []
    starts: list[tuple[int, int]] = []  # (segment start, index of its list)
    cuts = [0] + [k + 1 for k, ch in enumerate(s.text) if ch == ";"]
    if len({t.key for t in own} | {key}) > 1:
        for c0 in cuts[1:]:
            li = next((i for i, (a, _b, _k) in enumerate(lists) if a >= c0), None)
            nxt = next((c for c in cuts if c > c0), n)
            if li is not None and lists[li][0] < nxt:
                starts.append((c0, li))
        for i, (a, b, _keys) in enumerate(lists):
            if i > 0 and _SUBJECT_VERB_RE.match(s.text, b):
                starts.append((a, i))
    starts = sorted(set(starts))
    segs: list[tuple[int, int, tuple[str, str], list[tuple[str, str]]]] = []
    # the sentence's own part: its taxon, and the binomials listed with it when that
    # taxon heads the first list, or when the sentence names one list of taxa only
    head_end = starts[0][0] if starts else n
    co: list[tuple[str, str]] = []
    head = [keys for a, _b, keys in lists if a < head_end]
    named = {k for keys in head for k in keys}
    with_key = [keys for keys in head if key in keys]
    if with_key and named <= set(max(with_key, key=len)):
        co = [k for k in max(with_key, key=len) if k != key and k[0] == "sci"]
    elif head and head[0][0] == key:
        co = [k for k in head[0] if k != key and k[0] == "sci"]
    segs.append((0, head_end, key, co))
    for j, (a, li) in enumerate(starts):
        b = starts[j + 1][0] if j + 1 < len(starts) else n
        keys = lists[li][2]
        segs.append((a, b, keys[0], [k for k in keys[1:] if k[0] == "sci"]))
    return segs


#: A status cue written after a place governs it when it starts at most this many
#: characters after the place ("In China, hunting ...", "Nepal, where it is extinct").
NON_RANGE_REACH = 40

#: What ends the scope of a status cue written before a place (a new clause, a
#: contrast, or a fresh statement of presence: "introduced to X; native to Y").
_SCOPE_BREAK_RE = re.compile(
    r";|\bbut\b|\bwhereas\b|\bwhile\b|\balthough\b|\bthough\b|\bhowever\b|\bexcept\b|"
    r"(?:,|\band\b)\s+(?:it\s+|is\s+|are\s+|also\s+|still\s+|now\s+)*"
    r"(?:native|found|occurs?|present|resident|breeds|widespread|common|inhabits|lives)\b|"
    # a new subject with a range verb, or a field label inside a run-on sentence
    r"\b(?:this|the)\s+species\s+(?:\w+\s+)?(?:occurs|is\s+found|lives|inhabits|ranges)\b|"
    r"\bit\s+(?:\w+ly\s+)?(?:occurs|is\s+found|lives|inhabits|ranges)\b|"
    r"(?-i:\b[A-Z][a-z]+(?:\s+[A-Z]?[a-z]+){0,2}:(?:\s|(?=[A-Z][a-z])|$))",
    re.I)
#: A cue written before a place governs it only this close (characters).
STATUS_CUE_SCOPE = 250
#: Former cues also end at a statement about today ("formerly in X, now only in Y").
_FORMER_BREAK_RE = re.compile(
    r"\bnow\b|\bcurrently\b|\btoday\b|\bstill\b|\bsurviv|\bpersist|"
    r"\bremain(?!s?\s+(?:of|have|had|has|are|were|suggest|show|indicate)\b)", re.I)
_QMARK_AFTER_RE = re.compile(r"\s?(?:\(\s*\?\s*\)|\?)")
#: Cues that govern only a place written before them ("in Bangladesh until the 1930s";
#: not "was not described until 1990 from Nepal").
_AFTER_ONLY_RE = re.compile(r"until\b", re.I)
#: What a hedge may be about instead of presence: "possibly declining", "probably the
#: most common pheasant in Bhutan", "likely to be declining in Nepal" (the place is range).
_NOT_PRESENCE_RE = re.compile(
    r"\s*(?:to\s+)?(?:be\s+|been\s+|is\s+|are\s+|was\s+|were\s+)?(?:the\s+)?"
    r"(?:most\s+|more\s+|less\s+|very\s+|quite\s+|fairly\s+|still\s+)?"
    r"(?:declin\w*|decreas\w*|increas\w*|stable|common(?:est)?|rare(?:st)?|abundant|"
    r"numerous|scarce|threatened|endangered|number(?:s|ing)?|outnumber\w*|larger|smaller|"
    r"largest|smallest|commoner|rarer)\b", re.I)
#: A hedge after a contrast that refers back to the clause before it: "reported from
#: Bhutan, but this needs verification", "(...) though the identification is uncertain".
_BACKREF_HEDGE_RE = re.compile(
    r"^[^;]{0,60}?\b(?:but|although|though|however)\b,?\s+(?:this|these|that|it|"
    r"(?:the|such)\s+(?:records?|reports?|identifications?|specimens?|observations?|"
    r"sightings?|claims?))\b[^;]*$", re.I)
#: An absence about other places, not the one before it ("... Michoacan, Mexico, and has
#: not been recorded from other localities", "not found elsewhere").
_ELSEWHERE_RE = re.compile(
    r"\s*(?:elsewhere|(?:from|in|at|on)\s+(?:any\s+)?(?:other|further|additional|more)\b|"
    r"(?:from|in|at|on)\s+(?:\w+\s+){0,2}(?:elsewhere|outside))", re.I)
#: "not recorded ... since 1920": a former range, not an absence.
_NOT_SINCE_RE = re.compile(r"[^.;]{0,60}?\bsince\s+(?:the\s+)?(?:1[5-9]\d\d|20[0-2]\d)", re.I)
_BRACKET_AFTER_RE = re.compile(r"\s*[(\[]([^()\[\]]{1,40})[)\]]")


#: A paper's section heading run into the text of a flattened page ("... Ecuadorian
#: Hillstar. Introduction extreme north Ecuador ..."): not a cue, unless it introduces
#: something somewhere ("Introduction of goats to ...").
_HEADING_CUE_RE = re.compile(r"(?:Introduction|INTRODUCTION)(?!\s+(?:of|to|into|in)\b)")


def _status_spans(sentence: str) -> list[tuple[int, int, str, str]]:
    """Status cues of a sentence as (start, end, status, cue), in order."""
    # a word in an image's file name ("Gämse (Rupicapra rupicapra) Zoo Salzburg 2014
    # g-crop.jpg") is no cue: blanked (same length, so offsets hold)
    sentence = _IMAGE_FILE_RE.sub(lambda m: " " * len(m.group()), sentence)
    hits = [(m.start(), m.end(), "non-range", " ".join(m.group().split()))
            for rx in _NONRANGE_RE for m in rx.finditer(sentence)]
    hits += [(m.start(), m.end(), st, " ".join(m.group().split()))
             for st, rx in _STATUS_RE for m in rx.finditer(sentence)
             if not _HEADING_CUE_RE.fullmatch(m.group())
             or not _HEADING_CUE_RE.match(sentence, m.start())]
    # "reintroduced" also matches the introduced pattern's tail: keep the longer cue
    hits.sort(key=lambda h: (h[0], -(h[1] - h[0])))
    out: list[tuple[int, int, str, str]] = []
    for h in hits:
        if out and h[0] < out[-1][1]:
            continue
        if h[2] == "non-range" and re.search(r"\b(?:not|never)\b", h[3], re.I) \
                and _NOT_SINCE_RE.match(sentence, h[1]):
            h = (h[0], h[1], "former", h[3])  # "not recorded in Bangladesh since 1920"
        out.append(h)
    return out


def _breaks(between: str, status: str) -> bool:
    if _SCOPE_BREAK_RE.search(between):
        return True
    return status == "former" and bool(_FORMER_BREAK_RE.search(between))


#: Between a non-range cue and the place it is about: "cultivated in Japan", "kept in zoos
#: in Germany", "sold in markets of China" (a place right after its cue's preposition).
_CUE_THEN_PLACE_RE = re.compile(
    r"(?:\s+(?:\w+\s+){0,3}?)?\s*(?:in|to|into|from|of|at|across|throughout)\s+"
    r"(?:the\s+)?(?:[\w'’-]+\s+)?|\s*(?:the\s+)?")


#: A bracket after a place that holds only IUCN presence, origin and season words: "Nepal
#: (Extant, Native)", "India (Possibly Extant, Native)", "Japan (Extant & Introduced)",
#: "Bhutan (Regionally Extinct; resident)".
_LABEL_WORD = (rf"(?:{_PRESENCE}|{_ORIGIN}|resident|breeding|non-?breeding|passage|"
               r"seasonality\s+uncertain)")
_BRACKET_LABEL_RE = re.compile(
    rf"\s*[(\[]\s*({_LABEL_WORD}(?:\s*(?:[,;&/]|and|-)\s*{_LABEL_WORD})*)\s*[)\]]", re.I)


def _governing_cue(cues: Sequence[tuple[int, int, str, str]], start: int, end: int,
                   sentence: str, places: Sequence[tuple[int, int]], backward: bool = True
                   ) -> tuple[str, str] | None:
    """(status, cue) governing the span ``sentence[start:end]`` (rule 4), if any.

    In order: a question mark or a bracketed cue right after the span ("Nepal?",
    "Nepal (extinct)"); the nearest cue before it whose clause reaches it; a cue
    after it, within :data:`NON_RANGE_REACH` characters, that governs no later place.
    """
    if _QMARK_AFTER_RE.match(sentence, end) or sentence[max(0, start - 2):start].strip() == "?":
        return ("uncertain", "?")  # "Bhutan?", "Bhutan (?)", "?Liaoning"
    lab = _BRACKET_LABEL_RE.match(sentence, end)
    if lab:  # "India (Possibly Extant, Native)": an IUCN presence/origin label
        st = _section_status(lab.group(1))
        if st not in (None, "native"):
            return (st, lab.group(1))
    br = _BRACKET_AFTER_RE.match(sentence, end)
    if br and len(br.group(1).split()) <= 2:
        inner = [c for c in cues if br.start(1) <= c[0] and c[1] <= br.end(1)]
        if inner:
            return (inner[0][2], inner[0][3])
    before = [c for c in cues if c[1] <= start and start - c[1] <= STATUS_CUE_SCOPE
              and not _breaks(sentence[c[1]:start], c[2])
              and not _closed_bracket(sentence, c[0], start)
              and not _AFTER_ONLY_RE.match(c[3])
              and not (c[2] == "uncertain" and _NOT_PRESENCE_RE.match(sentence, c[1]))]
    if before:
        c = max(before, key=lambda c: c[1])
        return (c[2], c[3])
    if not backward:  # elevations: "at up to 5670 m, and they are perhaps ..." stays
        return None
    for a, b, st, cue in cues:
        if a < end or a - end > NON_RANGE_REACH:
            continue
        if st == "uncertain" and _NOT_PRESENCE_RE.match(sentence, b):
            continue  # "Bhutan, where it is possibly declining"
        if st == "non-range" and _ELSEWHERE_RE.match(sentence, b):
            continue  # "known only from Michoacan, and has not been recorded elsewhere"
        if st != "non-range" and _breaks(sentence[end:a], st) \
                and not (st == "uncertain" and _BACKREF_HEDGE_RE.match(sentence[end:a])):
            continue
        if sentence.rfind("(", end, a) > sentence.rfind(")", end, a):
            if st != "non-range" and _list_bracket(sentence, start, a):
                return (st, cue)  # "; Chile and Argentina (introduced);" in a list
            continue  # "Nepal and India (extinct)": a bracket is about the name before it
        later = [p for p in places if p[0] >= b and not _breaks(sentence[b:p[0]], st)]
        if later and st != "non-range":
            continue  # "Nepal, possibly Bhutan": the cue is about Bhutan
        if later and _CUE_THEN_PLACE_RE.fullmatch(sentence, b, later[0][0]):
            continue  # "native to Nepal and cultivated in Japan": the cue is Japan's
        return (st, cue)
    return _doubted_after(sentence, end, places)


#: A contrast after a statement that doubts it, with no place between the contrast and
#: the doubt: "According to Nordmann, it is also found in the Caucasus; but as neither
#: Lederer nor ... include it in their lists, I can say nothing as to this habitat".
_DOUBT_AFTER_RE = re.compile(
    r"[^;.!?]*?(?:;\s*)?\b(?P<but>but|however|although|though)\b(?P<gap>[^;.!?]*?)"
    r"(?P<cue>\b(?:can|could)\s+say\s+nothing|\bcannot\s+(?:confirm|vouch|say)|"
    r"\b(?:I|we)\s+(?:have\s+)?(?:not|never)\s+(?:seen|found|examined)|"
    r"(?<!\bno\s)(?<!\bwithout\s)\bdoubt(?:s|ed|ful)?\b|\bno\s+(?:further\s+)?(?:evidence|confirmation)\b|"
    r"\b(?:do|does|did)\s+not\s+(?:include|list|mention)\s+(?:it|them)\b)", re.I)


def _doubted_after(sentence: str, end: int, places: Sequence[tuple[int, int]]
                   ) -> tuple[str, str] | None:
    """("uncertain", cue) when the statement that names the place ending at ``end`` is
    doubted by a contrast after it in the same sentence (:data:`_DOUBT_AFTER_RE`), with
    no other place between the contrast and the doubt ("..., but its status in Bhutan is
    doubtful" doubts Bhutan, not the places before)."""
    m = _DOUBT_AFTER_RE.match(sentence, end)
    if m is None:
        return None
    if any(m.start("but") <= a < m.start("cue") for a, _b in places):
        return None
    # the doubt is about the last statement: places after this one before the contrast
    # must be listed with it ("Nepal and Bhutan, but ..."), not a statement of their own
    last = end
    for a, b in sorted(places):
        if last <= a < m.start("but"):
            if not _PLACE_LIST_GAP_RE.fullmatch(sentence, last, a):
                return None
            last = b
    return ("uncertain", " ".join(m.group("cue").split()))


#: A place named as a reference point, outside the range: "south of Canada", "outside
#: Nepal", "beyond the Himalaya", "the border with Nepal" (but "the south of India" and
#: "the borders of Bolivia" are parts of India and Bolivia).
_OUTSIDE_RE = re.compile(
    r"(?:(?<!the\s)(?<!the\sfar\s)(?<!\w)(?:north|south|east|west)(?:-?(?:east|west))?(?:wards?)?"
    r"\s+of|\boutside(?:\s+of)?|\bbeyond|\bexcept(?:\s+in)?|"
    r"\b(?:boundar(?:y|ies)|borders?|frontiers?)\s+with|"
    # a locality given by its distance or bearing from a town: "113 km W. of Madang",
    # "SE of Lima", "20 km from Cusco"
    r"(?-i:(?<!the\s)\b(?:[NSEW]|NE|NW|SE|SW|[NS][NS]?[EW])\.?)\s+of|"
    r"\b\d+(?:[.,]\d+)?\s*(?:km|mi|miles|kilometres|kilometers)\.?\s+(?:from|of)"
    r"(?:\s+the\s+(?:city|town|village|capital)\s+of)?)"
    r"\s+(?:the\s+)?$", re.I)


#: What may stand between the places of a bare list: separators, compass words.
_LIST_FILLER_RE = re.compile(
    r"(?:[\s,&]|\band\b|\bor\b|\bthe\b|\b(?:north|south|east|west|central|northern|"
    r"southern|eastern|western)\b|[A-Z][\w'’.-]*)*")


def _list_bracket(sentence: str, start: int, cue: int) -> bool:
    """Whether the status bracket holding ``cue`` closes a bare list clause that the
    place at ``start`` belongs to: the ";"-, ":"- or sentence-delimited clause has only
    names, compass words and separators before the bracket, and ends right after it
    (MSW3 "...; Chile and Argentina (introduced); ..." -- both introduced; a sentence
    with a verb, "occurs in Nepal and India (extinct)", keeps the bracket on India)."""
    open_ = sentence.rfind("(", 0, cue)
    close = sentence.find(")", cue)
    if open_ < 0 or close < 0 or len(sentence[open_ + 1:close].split()) > 2:
        return False
    a = max(sentence.rfind(";", 0, start), sentence.rfind(":", 0, start)) + 1
    if not _LIST_FILLER_RE.fullmatch(sentence[a:open_]):
        return False
    return re.match(r"\s*(?:[;.]|$)", sentence[close + 1:]) is not None


def _closed_bracket(sentence: str, cue: int, start: int) -> bool:
    """Whether the cue at ``cue`` sits in brackets that close before ``start``
    ("Oregon (likely across the state), California": the hedge is about Oregon)."""
    opened = sentence.rfind("(", 0, cue)
    return opened > sentence.rfind(")", 0, cue) and ")" in sentence[cue:start]


def _section_status(section: str) -> str | None:
    """Status given by a label or heading ("Introduced:", "Type locality:")."""
    if not section:
        return None
    h = " ".join(_WORD_RE.findall(section.lower()))
    for word, status in STATUS_SECTIONS:
        if re.search(r"\b" + re.escape(word), h):
            return status
    return None


def _names_vs_places(taxa: list[_TaxonMention], mentions: list[Mention],
                     links: dict[str, tuple[str, str]]
                     ) -> tuple[list[_TaxonMention], list[Mention]]:
    """Resolve place names inside common names (rule 2, "Kashmir musk deer").

    A place inside a common name that is linked to a binomial or written at least
    twice is part of the name, not a place; otherwise ("In Nepal musk deer are
    found") the place stays and the phrase is not a species name (the bare group
    noun after it still counts).
    """
    counts: dict[str, int] = {}
    for t in taxa:
        if t.common is not None and t.display is not None:
            counts[t.common] = counts.get(t.common, 0) + 1
    drop_places: set[int] = set()
    # "New Zealand rockwren", "New Zealand wrens": a binomial whose genus is the end of a
    # place's name, wherever it is written, is no taxon (nor are names linked to it)
    literal: dict[tuple[str, str], list[bool]] = {}
    for t in taxa:
        if t.key[0] == "sci" and t.common is None:
            literal.setdefault(t.key, []).append(
                any(m.start < t.start < m.end for m in mentions)
                or _country_as_genus(t, mentions))
    place_tails = {k for k, v in literal.items() if all(v)}
    out: list[_TaxonMention] = []
    for t in taxa:
        if t.key in place_tails:
            continue
        inside = [j for j, m in enumerate(mentions) if t.start <= m.start and m.end <= t.end]
        if not inside or t.display is None or t.common is None:
            out.append(t)
            continue
        if t.common in links or counts.get(t.common, 0) >= 2:
            drop_places.update(inside)
            out.append(t)
            continue
        last = max(mentions[j].end for j in inside)
        head_start = t.end - len(t.group) if t.group else t.end
        if last < head_start and t.group in GROUP_NOUNS:
            out.append(_TaxonMention(head_start, t.end, ("genus", t.group), group=t.group))
    kept = [m for j, m in enumerate(mentions) if j not in drop_places]
    return out, kept


def _country_as_genus(t: _TaxonMention, mentions: Sequence[Mention]) -> bool:
    """Whether the "genus" of a binomial-shaped pair is a country's name ("Burundi
    chameleon" in a keyword line "Reptilia Biodiversity Burundi chameleon Democratic
    Republic of the Congo ..."): a place and an English word, no binomial."""
    return any(m.kind == "country" and m.start == t.start and m.end < t.end
               and not m.surface[1:].isupper() for m in mentions)


def _single_species_genus(taxa: list[_TaxonMention]) -> list[_TaxonMention]:
    """Bare group nouns of a single-species document denote that species (rule 2).

    The document is about one species when its first taxon mention is a species
    and every other species is mentioned at most half as often. Then "musk deer"
    without a modifier refers to that species, unless it is generic ("all musk
    deer", "other musk deer", "musk deer species").
    """
    if not taxa or taxa[0].key[0] == "genus":
        return taxa
    main = taxa[0].key
    counts: dict[tuple[str, str], int] = {}
    for t in taxa:
        if t.key[0] != "genus":
            counts[t.key] = counts.get(t.key, 0) + 1
    if any(n * 2 > counts[main] for k, n in counts.items() if k != main):
        return taxa
    return [
        _TaxonMention(t.start, t.end, main, group=t.group)
        if t.key[0] == "genus" and not t.generic else t
        for t in taxa
    ]


def _norm(name: str) -> str:
    return " ".join(name.lower().replace("-", " ").split())


def merge_records(records: Iterable[TaxonRecord]) -> list[TaxonRecord]:
    """Merge records of the same taxon (rule 8 of the module docs).

    Records are taken in the order given; the first one's name is kept.
    """
    recs = list(records)
    merged: dict[tuple[str, str], TaxonRecord] = {}
    order: list[tuple[str, str]] = []

    def absorb(key: tuple[str, str], r: TaxonRecord) -> None:
        tgt = merged.get(key)
        if tgt is None:
            tgt = TaxonRecord(r.name, r.scientific_name, r.rank)
            merged[key] = tgt
            order.append(key)
        have = {_norm(c) for c in tgt.common_names}
        for c in r.common_names:
            if _norm(c) not in have:
                tgt.common_names.append(c)
                have.add(_norm(c))
        if tgt.name == tgt.scientific_name and r.common_names:
            tgt.name = r.name
        tgt.documents.extend(d for d in r.documents if d not in tgt.documents)
        tgt.places.extend(r.places)
        tgt.excluded.extend(r.excluded)
        tgt.elevations.extend(r.elevations)
        tgt.country_names.update(r.country_names)
        tgt.prefs.extend(r.prefs)
        tgt.subspecies.extend(x for x in r.subspecies if x not in tgt.subspecies)
        tgt.subject = tgt.subject or r.subject
        tgt.warnings.extend(w for w in r.warnings if w not in tgt.warnings)

    for r in recs:
        if r.scientific_name:
            absorb(("sci", r.scientific_name), r)
    for r in recs:
        if r.scientific_name:
            continue
        n = _norm(r.name)
        owners = [k for k, v in merged.items()
                  if k[0] == "sci" and n in {_norm(c) for c in v.common_names}]
        absorb(owners[0] if len(owners) == 1 else ("name", n), r)
    out = [merged[k] for k in order]
    out.sort(key=lambda r: ((r.scientific_name or r.name).lower(), r.name.lower()))
    return out


# --------------------------------------------------------------------------- edges

def read_document(path: str | Path) -> str:
    """Read a UTF-8 text document.

    Raises
    ------
    DataError
        If the file is missing, empty, binary (NUL bytes) or not UTF-8.
    """
    p = Path(path)
    try:
        data = p.read_bytes()
    except FileNotFoundError:
        raise DataError(f"{p}: document not found; check the path") from None
    except IsADirectoryError:
        raise DataError(f"{p}: is a directory, not a document; pass .txt files") from None
    except OSError as exc:
        raise DataError(f"{p}: cannot read document ({exc.strerror}); check permissions") \
            from None
    if not data.strip():
        raise DataError(f"{p}: document is empty; give a text that describes the species")
    nul = data.find(b"\x00")
    if nul >= 0:
        raise DataError(f"{p}: binary file (NUL byte at offset {nul}); give a plain-text "
                        "document (UTF-8 .txt)")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        bad = data[exc.start]
        raise DataError(f"{p}: not UTF-8 text (byte 0x{bad:02x} at offset {exc.start}); "
                        "save it as UTF-8") from None
    return text.removeprefix("\ufeff")


def extract_documents(paths: Sequence[str | Path], gaz: Gazetteer,
                      include_uncertain: bool = False) -> model.Extracted:
    """Read documents, extract and merge their taxa.

    Parameters
    ----------
    paths : sequence of path
        UTF-8 text documents.
    gaz : Gazetteer
        Place names.
    include_uncertain : bool
        Map places given as possible/probable too (``--include-uncertain``).

    Returns
    -------
    dict
        ``{"species": [...], "warnings": [...]}`` as described by
        ``schema/ranges.schema.json``. Warnings (rule 9) are also for the caller to
        print, one line each.
    """
    recs: list[TaxonRecord] = []
    warnings: list[dict[str, Any]] = []
    for p in sorted((Path(x) for x in paths), key=lambda q: q.name):
        got = extract_text(read_document(p), p.name, gaz)
        if not got:
            warnings.append({"document": p.name, "taxon": None, "code": "no-taxon",
                             "message": f"{p.name}: no taxon found (no common name of a known "
                             "group, no binomial); name the species, e.g. a title line "
                             "'Genus species'"})
        recs.extend(got)
    species = []
    for r in merge_records(recs):
        d = r.to_dict(include_uncertain)
        species.append(d)
        docs = ", ".join(sorted(r.documents))
        for code, msg in r.warnings:
            warnings.append({"document": msg.split(":", 1)[0], "taxon": r.name, "code": code,
                             "message": f"{r.name}: {msg}"})
        # a taxon the text gives no range for: its document's subject, or one whose
        # places were all left out; a passing mention ("similar to X") is no warning
        if not d["units"] and (r.subject or r.excluded or r.places or r.elevations):
            warnings.append({"document": docs, "taxon": r.name, "code": "no-places",
                             "message": f"{r.name} ({docs}): no range places found; "
                             "nothing will be mapped for it"})
        lo, hi, others, conflict = r.band()
        if conflict:
            band = f"{d['elevation_min_m']}-{d['elevation_max_m']} m"
            alts = "; ".join(
                f"{'' if e.lo is None else _num(e.lo)}-{'' if e.hi is None else _num(e.hi)} m"
                for e in others if e.scope == "species")
            warnings.append({"document": docs, "taxon": r.name, "code": "band-conflict",
                             "message": f"{r.name} ({docs}): several elevation bands "
                             f"({alts}); kept the first, {band}; check elevation_other"})
    return {"species": species, "warnings": warnings}
