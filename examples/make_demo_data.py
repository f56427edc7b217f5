"""Generate the embedded demo data sets of xstore (synthetic, templated, written for this project).

Two JSON Lines files are written into ``xstore/demo/``:

``demo_nli.jsonl``
    A small natural-language-inference task (labels ``entailment``, ``neutral``, ``contradiction``)
    built from hand-written templates in English, German, French, Spanish and Russian. Training data
    (600 rows) is English only, as in the zero-shot cross-lingual setting; ``dev`` (90 per language)
    and ``test`` (150 per language) are parallel: rows with the same index are translations of each
    other. Every pair comes from one of 12 scenarios: one or two premise templates with slot fillers
    (names, cities, instruments, foods, weather, numbers, ...) and hypothesis templates whose label
    follows from the template logic and changes with the premise, so that neither sentence alone gives
    the label away. Training rows never reuse a premise seen in dev or test.

``demo_sentiment.jsonl``
    A small English sentiment task (``negative`` / ``positive``; 500 train, 100 dev) of templated
    reviews of films, restaurants and products, with negation and contrast ("not bad at all",
    "I expected it to be dull, but ...") so that no single word decides the label.

All of it is synthetic: no text is taken from an existing corpus. The output is deterministic: the
same script writes byte-identical files on every run (fixed seed, sorted keys, UTF-8, "\\n" endings).

Regenerate (from the repository root; standard library only, no network)::

    python examples/make_demo_data.py              # writes xstore/demo/demo_*.jsonl
    python examples/make_demo_data.py --out DIR    # writes the two files into DIR instead
"""

from __future__ import annotations

import argparse
import json
import random
import re
from pathlib import Path

SEED = 20240611
LANGS = ("en", "de", "fr", "es", "ru")
LABELS = ("entailment", "neutral", "contradiction")
NLI_SIZES = {"train": 600, "dev": 90, "test": 150}  # train: English only; dev/test: per language
SENTIMENT_SIZES = {"train": 500, "dev": 100}
DEFAULT_OUT = Path(__file__).resolve().parents[1] / "xstore" / "demo"
NLI_FILE = "demo_nli.jsonl"
SENTIMENT_FILE = "demo_sentiment.jsonl"


def F(**forms):
    """A slot filler: each form is a 5-tuple of strings in LANGS order (en, de, fr, es, ru)."""
    for name, value in forms.items():
        assert len(value) == len(LANGS), (name, value)
    return forms


# ---------------------------------------------------------------------------------------------------
# Gender-dependent pieces, by language, for the subject of a sentence. Templates and fillers refer to
# them as {poss}, {e}, {o}, {a}, ... so that agreement stays correct in every language.
# ---------------------------------------------------------------------------------------------------
GENDER_VARS = {
    "en": {"m": {"poss": "his"}, "f": {"poss": "her"}},
    "de": {"m": {"poss": "sein", "in": ""}, "f": {"poss": "ihr", "in": "in"}},
    "fr": {"m": {"e": "", "ne": "", "le": "", "lui": "lui"}, "f": {"e": "e", "ne": "ne", "le": "le", "lui": "elle"}},
    "es": {"m": {"o": "o"}, "f": {"o": "a"}},
    "ru": {"m": {"a": "", "odin": "один", "ka": ""}, "f": {"a": "а", "odin": "одна", "ka": "ка"}},
}

# ---------------------------------------------------------------------------------------------------
# Slot fillers. Names are localised (Peter / Pierre / Pedro / Пётр) and used only in the nominative.
# ---------------------------------------------------------------------------------------------------
NAMES = [  # (gender, en, de, fr, es, ru)
    ("f", "Anna", "Anna", "Anna", "Ana", "Анна"),
    ("f", "Maria", "Maria", "Marie", "María", "Мария"),
    ("f", "Elena", "Elena", "Hélène", "Elena", "Елена"),
    ("f", "Sophia", "Sophia", "Sophie", "Sofía", "София"),
    ("f", "Laura", "Laura", "Laura", "Laura", "Лаура"),
    ("f", "Nina", "Nina", "Nina", "Nina", "Нина"),
    ("f", "Clara", "Klara", "Claire", "Clara", "Клара"),
    ("f", "Olga", "Olga", "Olga", "Olga", "Ольга"),
    ("f", "Eva", "Eva", "Ève", "Eva", "Ева"),
    ("m", "Peter", "Peter", "Pierre", "Pedro", "Пётр"),
    ("m", "Paul", "Paul", "Paul", "Pablo", "Павел"),
    ("m", "Alexander", "Alexander", "Alexandre", "Alejandro", "Александр"),
    ("m", "David", "David", "David", "David", "Давид"),
    ("m", "Martin", "Martin", "Martin", "Martín", "Мартин"),
    ("m", "Ivan", "Iwan", "Ivan", "Iván", "Иван"),
    ("m", "Michael", "Michael", "Michel", "Miguel", "Михаил"),
    ("m", "Andrew", "Andreas", "André", "Andrés", "Андрей"),
    ("m", "Nicholas", "Nikolaus", "Nicolas", "Nicolás", "Николай"),
]

CITIES = [
    F(city=("Berlin", "Berlin", "Berlin", "Berlín", "Берлин"),
      in_city=("in Berlin", "in Berlin", "à Berlin", "en Berlín", "в Берлине"),
      to_city=("to Berlin", "nach Berlin", "à Berlin", "a Berlín", "в Берлин"),
      in_country=("in Germany", "in Deutschland", "en Allemagne", "en Alemania", "в Германии")),
    F(city=("Paris", "Paris", "Paris", "París", "Париж"),
      in_city=("in Paris", "in Paris", "à Paris", "en París", "в Париже"),
      to_city=("to Paris", "nach Paris", "à Paris", "a París", "в Париж"),
      in_country=("in France", "in Frankreich", "en France", "en Francia", "во Франции")),
    F(city=("Madrid", "Madrid", "Madrid", "Madrid", "Мадрид"),
      in_city=("in Madrid", "in Madrid", "à Madrid", "en Madrid", "в Мадриде"),
      to_city=("to Madrid", "nach Madrid", "à Madrid", "a Madrid", "в Мадрид"),
      in_country=("in Spain", "in Spanien", "en Espagne", "en España", "в Испании")),
    F(city=("Rome", "Rom", "Rome", "Roma", "Рим"),
      in_city=("in Rome", "in Rom", "à Rome", "en Roma", "в Риме"),
      to_city=("to Rome", "nach Rom", "à Rome", "a Roma", "в Рим"),
      in_country=("in Italy", "in Italien", "en Italie", "en Italia", "в Италии")),
    F(city=("Lisbon", "Lissabon", "Lisbonne", "Lisboa", "Лиссабон"),
      in_city=("in Lisbon", "in Lissabon", "à Lisbonne", "en Lisboa", "в Лиссабоне"),
      to_city=("to Lisbon", "nach Lissabon", "à Lisbonne", "a Lisboa", "в Лиссабон"),
      in_country=("in Portugal", "in Portugal", "au Portugal", "en Portugal", "в Португалии")),
    F(city=("Vienna", "Wien", "Vienne", "Viena", "Вена"),
      in_city=("in Vienna", "in Wien", "à Vienne", "en Viena", "в Вене"),
      to_city=("to Vienna", "nach Wien", "à Vienne", "a Viena", "в Вену"),
      in_country=("in Austria", "in Österreich", "en Autriche", "en Austria", "в Австрии")),
    F(city=("Prague", "Prag", "Prague", "Praga", "Прага"),
      in_city=("in Prague", "in Prag", "à Prague", "en Praga", "в Праге"),
      to_city=("to Prague", "nach Prag", "à Prague", "a Praga", "в Прагу"),
      in_country=("in the Czech Republic", "in Tschechien", "en République tchèque",
                  "en la República Checa", "в Чехии")),
    F(city=("London", "London", "Londres", "Londres", "Лондон"),
      in_city=("in London", "in London", "à Londres", "en Londres", "в Лондоне"),
      to_city=("to London", "nach London", "à Londres", "a Londres", "в Лондон"),
      in_country=("in England", "in England", "en Angleterre", "en Inglaterra", "в Англии")),
    F(city=("Warsaw", "Warschau", "Varsovie", "Varsovia", "Варшава"),
      in_city=("in Warsaw", "in Warschau", "à Varsovie", "en Varsovia", "в Варшаве"),
      to_city=("to Warsaw", "nach Warschau", "à Varsovie", "a Varsovia", "в Варшаву"),
      in_country=("in Poland", "in Polen", "en Pologne", "en Polonia", "в Польше")),
    F(city=("Athens", "Athen", "Athènes", "Atenas", "Афины"),
      in_city=("in Athens", "in Athen", "à Athènes", "en Atenas", "в Афинах"),
      to_city=("to Athens", "nach Athen", "à Athènes", "a Atenas", "в Афины"),
      in_country=("in Greece", "in Griechenland", "en Grèce", "en Grecia", "в Греции")),
    F(city=("Dublin", "Dublin", "Dublin", "Dublín", "Дублин"),
      in_city=("in Dublin", "in Dublin", "à Dublin", "en Dublín", "в Дублине"),
      to_city=("to Dublin", "nach Dublin", "à Dublin", "a Dublín", "в Дублин"),
      in_country=("in Ireland", "in Irland", "en Irlande", "en Irlanda", "в Ирландии")),
    F(city=("Amsterdam", "Amsterdam", "Amsterdam", "Ámsterdam", "Амстердам"),
      in_city=("in Amsterdam", "in Amsterdam", "à Amsterdam", "en Ámsterdam", "в Амстердаме"),
      to_city=("to Amsterdam", "nach Amsterdam", "à Amsterdam", "a Ámsterdam", "в Амстердам"),
      in_country=("in the Netherlands", "in den Niederlanden", "aux Pays-Bas", "en los Países Bajos",
                  "в Нидерландах")),
]

INSTRUMENTS = [
    F(instr=("the guitar", "Gitarre", "de la guitare", "la guitarra", "на гитаре")),
    F(instr=("the violin", "Geige", "du violon", "el violín", "на скрипке")),
    F(instr=("the flute", "Flöte", "de la flûte", "la flauta", "на флейте")),
    F(instr=("the accordion", "Akkordeon", "de l'accordéon", "el acordeón", "на аккордеоне")),
    F(instr=("the drums", "Schlagzeug", "de la batterie", "la batería", "на барабанах")),
    F(instr=("the saxophone", "Saxofon", "du saxophone", "el saxofón", "на саксофоне")),
    F(instr=("the trumpet", "Trompete", "de la trompette", "la trompeta", "на трубе")),
]

SEASONS = [
    F(season=("summer", "Sommer", "été", "verano", "лето"),
      the_season=("the summer", "den Sommer", "l'été", "el verano", "лето"),
      whole_season=("the whole summer", "den ganzen Sommer", "tout l'été", "todo el verano", "всё лето")),
    F(season=("winter", "Winter", "hiver", "invierno", "зима"),
      the_season=("the winter", "den Winter", "l'hiver", "el invierno", "зиму"),
      whole_season=("the whole winter", "den ganzen Winter", "tout l'hiver", "todo el invierno", "всю зиму")),
    F(season=("spring", "Frühling", "printemps", "primavera", "весна"),
      the_season=("the spring", "den Frühling", "le printemps", "la primavera", "весну"),
      whole_season=("the whole spring", "den ganzen Frühling", "tout le printemps", "toda la primavera",
                    "всю весну")),
    F(season=("autumn", "Herbst", "automne", "otoño", "осень"),
      the_season=("the autumn", "den Herbst", "l'automne", "el otoño", "осень"),
      whole_season=("the whole autumn", "den ganzen Herbst", "tout l'automne", "todo el otoño", "всю осень")),
]

FOODS = [  # direct objects of "eat"
    F(food=("an apple", "einen Apfel", "une pomme", "una manzana", "яблоко")),
    F(food=("a sandwich", "ein Sandwich", "un sandwich", "un sándwich", "бутерброд")),
    F(food=("soup", "eine Suppe", "de la soupe", "sopa", "суп")),
    F(food=("a pear", "eine Birne", "une poire", "una pera", "грушу")),
    F(food=("a salad", "einen Salat", "une salade", "una ensalada", "салат")),
    F(food=("a piece of cake", "ein Stück Kuchen", "un morceau de gâteau", "un trozo de pastel", "кусок торта")),
    F(food=("a banana", "eine Banane", "une banane", "un plátano", "банан")),
    F(food=("a bowl of rice", "eine Schüssel Reis", "un bol de riz", "un cuenco de arroz", "тарелку риса")),
]

# Comparatives "X REL Y": rel, its converse inv, and the negated rel; {e}/{o} agree with the subject.
RELATIONS = [
    F(rel=("is older than", "ist älter als", "est plus âgé{e} que", "es mayor que", "старше, чем"),
      inv=("is younger than", "ist jünger als", "est plus jeune que", "es menor que", "младше, чем"),
      neg=("is not older than", "ist nicht älter als", "n'est pas plus âgé{e} que", "no es mayor que",
           "не старше, чем")),
    F(rel=("is taller than", "ist größer als", "est plus grand{e} que", "es más alt{o} que", "выше, чем"),
      inv=("is shorter than", "ist kleiner als", "est plus petit{e} que", "es más baj{o} que", "ниже, чем"),
      neg=("is not taller than", "ist nicht größer als", "n'est pas plus grand{e} que", "no es más alt{o} que",
           "не выше, чем")),
    F(rel=("is stronger than", "ist stärker als", "est plus fort{e} que", "es más fuerte que", "сильнее, чем"),
      inv=("is weaker than", "ist schwächer als", "est plus faible que", "es más débil que", "слабее, чем"),
      neg=("is not stronger than", "ist nicht stärker als", "n'est pas plus fort{e} que", "no es más fuerte que",
           "не сильнее, чем")),
    F(rel=("runs faster than", "läuft schneller als", "court plus vite que", "corre más rápido que",
           "бегает быстрее, чем"),
      inv=("runs more slowly than", "läuft langsamer als", "court moins vite que", "corre más despacio que",
           "бегает медленнее, чем"),
      neg=("does not run faster than", "läuft nicht schneller als", "ne court pas plus vite que",
           "no corre más rápido que", "бегает не быстрее, чем")),
    F(rel=("gets up earlier than", "steht früher auf als", "se lève plus tôt que", "se levanta más temprano que",
           "встаёт раньше, чем"),
      inv=("gets up later than", "steht später auf als", "se lève plus tard que", "se levanta más tarde que",
           "встаёт позже, чем"),
      neg=("does not get up earlier than", "steht nicht früher auf als", "ne se lève pas plus tôt que",
           "no se levanta más temprano que", "встаёт не раньше, чем")),
]

NUMBERS = [  # counts 2..5; the Russian numeral+noun phrase lives with each good
    F(num=("two", "zwei", "deux", "dos", "2")),
    F(num=("three", "drei", "trois", "tres", "3")),
    F(num=("four", "vier", "quatre", "cuatro", "4")),
    F(num=("five", "fünf", "cinq", "cinco", "5")),
]


def _good(pl, several, only, ru_counts):
    """A market good: plural, "several ...", "only one ..." per language; ru_counts for 2, 3, 4, 5."""
    return {"pl": pl, "several": several, "only": only, "ru_counts": ru_counts}


GOODS = [
    _good(("apples", "Äpfel", "pommes", "manzanas", "яблок"),
          ("several apples", "mehrere Äpfel", "plusieurs pommes", "varias manzanas", "несколько яблок"),
          ("only one apple", "nur einen Apfel", "une seule pomme", "una sola manzana", "только одно яблоко"),
          ("два яблока", "три яблока", "четыре яблока", "пять яблок")),
    _good(("pears", "Birnen", "poires", "peras", "груш"),
          ("several pears", "mehrere Birnen", "plusieurs poires", "varias peras", "несколько груш"),
          ("only one pear", "nur eine Birne", "une seule poire", "una sola pera", "только одну грушу"),
          ("две груши", "три груши", "четыре груши", "пять груш")),
    _good(("lemons", "Zitronen", "citrons", "limones", "лимонов"),
          ("several lemons", "mehrere Zitronen", "plusieurs citrons", "varios limones", "несколько лимонов"),
          ("only one lemon", "nur eine Zitrone", "un seul citron", "un solo limón", "только один лимон"),
          ("два лимона", "три лимона", "четыре лимона", "пять лимонов")),
    _good(("books", "Bücher", "livres", "libros", "книг"),
          ("several books", "mehrere Bücher", "plusieurs livres", "varios libros", "несколько книг"),
          ("only one book", "nur ein Buch", "un seul livre", "un solo libro", "только одну книгу"),
          ("две книги", "три книги", "четыре книги", "пять книг")),
    _good(("cups", "Tassen", "tasses", "tazas", "чашек"),
          ("several cups", "mehrere Tassen", "plusieurs tasses", "varias tazas", "несколько чашек"),
          ("only one cup", "nur eine Tasse", "une seule tasse", "una sola taza", "только одну чашку"),
          ("две чашки", "три чашки", "четыре чашки", "пять чашек")),
    _good(("melons", "Melonen", "melons", "melones", "дынь"),
          ("several melons", "mehrere Melonen", "plusieurs melons", "varios melones", "несколько дынь"),
          ("only one melon", "nur eine Melone", "un seul melon", "un solo melón", "только одну дыню"),
          ("две дыни", "три дыни", "четыре дыни", "пять дынь")),
]

PETS = [  # accusative with the owner's possessive
    F(pet=("{poss} dog", "{poss}en Hund", "son chien", "su perro", "свою собаку")),
    F(pet=("{poss} cat", "{poss}e Katze", "son chat", "su gato", "своего кота")),
    F(pet=("{poss} parrot", "{poss}en Papagei", "son perroquet", "su loro", "своего попугая")),
    F(pet=("{poss} rabbit", "{poss} Kaninchen", "son lapin", "su conejo", "своего кролика")),
    F(pet=("{poss} hamster", "{poss}en Hamster", "son hamster", "su hámster", "своего хомяка")),
    F(pet=("{poss} turtle", "{poss}e Schildkröte", "sa tortue", "su tortuga", "свою черепаху")),
]

SPORTS = [  # object of "play", with the preposition it needs
    F(sport=("football", "Fußball", "au football", "al fútbol", "в футбол")),
    F(sport=("tennis", "Tennis", "au tennis", "al tenis", "в теннис")),
    F(sport=("basketball", "Basketball", "au basket", "al baloncesto", "в баскетбол")),
    F(sport=("volleyball", "Volleyball", "au volley", "al voleibol", "в волейбол")),
    F(sport=("hockey", "Hockey", "au hockey", "al hockey", "в хоккей")),
    F(sport=("badminton", "Badminton", "au badminton", "al bádminton", "в бадминтон")),
    F(sport=("table tennis", "Tischtennis", "au ping-pong", "al tenis de mesa", "в настольный теннис")),
]

DAYS = [
    F(every_day=("every Monday", "jeden Montag", "tous les lundis", "todos los lunes", "каждый понедельник"),
      on_days=("on Mondays", "montags", "le lundi", "los lunes", "по понедельникам")),
    F(every_day=("every Tuesday", "jeden Dienstag", "tous les mardis", "todos los martes", "каждый вторник"),
      on_days=("on Tuesdays", "dienstags", "le mardi", "los martes", "по вторникам")),
    F(every_day=("every Wednesday", "jeden Mittwoch", "tous les mercredis", "todos los miércoles", "каждую среду"),
      on_days=("on Wednesdays", "mittwochs", "le mercredi", "los miércoles", "по средам")),
    F(every_day=("every Thursday", "jeden Donnerstag", "tous les jeudis", "todos los jueves", "каждый четверг"),
      on_days=("on Thursdays", "donnerstags", "le jeudi", "los jueves", "по четвергам")),
    F(every_day=("every Friday", "jeden Freitag", "tous les vendredis", "todos los viernes", "каждую пятницу"),
      on_days=("on Fridays", "freitags", "le vendredi", "los viernes", "по пятницам")),
]

READINGS = [
    F(reading=("a book", "ein Buch", "un livre", "un libro", "книгу")),
    F(reading=("a newspaper", "eine Zeitung", "un journal", "un periódico", "газету")),
    F(reading=("a magazine", "eine Zeitschrift", "un magazine", "una revista", "журнал")),
    F(reading=("a letter", "einen Brief", "une lettre", "una carta", "письмо")),
    F(reading=("a novel", "einen Roman", "un roman", "una novela", "роман")),
    F(reading=("a comic", "einen Comic", "une bande dessinée", "un cómic", "комикс")),
]

VEHICLES = [
    F(in_vehicle=("on the train", "im Zug", "dans le train", "en el tren", "в поезде"),
      by_vehicle=("is travelling by train", "fährt mit dem Zug", "voyage en train", "viaja en tren",
                  "едет на поезде")),
    F(in_vehicle=("on the bus", "im Bus", "dans le bus", "en el autobús", "в автобусе"),
      by_vehicle=("is travelling by bus", "fährt mit dem Bus", "voyage en bus", "viaja en autobús",
                  "едет на автобусе")),
    F(in_vehicle=("on the plane", "im Flugzeug", "dans l'avion", "en el avión", "в самолёте"),
      by_vehicle=("is travelling by plane", "fliegt mit dem Flugzeug", "voyage en avion", "viaja en avión",
                  "летит на самолёте")),
    F(in_vehicle=("on the tram", "in der Straßenbahn", "dans le tramway", "en el tranvía", "в трамвае"),
      by_vehicle=("is travelling by tram", "fährt mit der Straßenbahn", "voyage en tramway", "viaja en tranvía",
                  "едет на трамвае")),
    F(in_vehicle=("on the ferry", "auf der Fähre", "sur le ferry", "en el ferri", "на пароме"),
      by_vehicle=("is travelling by ferry", "fährt mit der Fähre", "voyage en ferry", "viaja en ferri",
                  "плывёт на пароме")),
]

MEALS = [
    F(meal=("breakfast", "das Frühstück", "le petit-déjeuner", "el desayuno", "завтрак")),
    F(meal=("lunch", "das Mittagessen", "le déjeuner", "el almuerzo", "обед")),
    F(meal=("dinner", "das Abendessen", "le dîner", "la cena", "ужин")),
]

GUESTS = [  # "for her/his ..."
    F(people=("{poss} friends", "{poss}e Freunde", "ses amis", "sus amigos", "своих друзей")),
    F(people=("{poss} parents", "{poss}e Eltern", "ses parents", "sus padres", "своих родителей")),
    F(people=("{poss} children", "{poss}e Kinder", "ses enfants", "sus hijos", "своих детей")),
    F(people=("{poss} neighbours", "{poss}e Nachbarn", "ses voisins", "sus vecinos", "своих соседей")),
    F(people=("{poss} guests", "{poss}e Gäste", "ses invités", "sus invitados", "своих гостей")),
    F(people=("{poss} colleagues", "{poss}e Kollegen", "ses collègues", "sus colegas", "своих коллег")),
]

WEATHERS = [  # statement, entailed, contradicted; {in_city} is filled in
    F(w_p=("It is snowing heavily {in_city} today.", "Heute schneit es {in_city} stark.",
           "Aujourd'hui, il neige beaucoup {in_city}.", "Hoy nieva mucho {in_city}.",
           "Сегодня {in_city} идёт сильный снег."),
      w_e=("It is cold {in_city} today.", "Heute ist es {in_city} kalt.",
           "Aujourd'hui, il fait froid {in_city}.", "Hoy hace frío {in_city}.",
           "Сегодня {in_city} холодно."),
      w_c=("It is hot and sunny {in_city} today.", "Heute ist es {in_city} heiß und sonnig.",
           "Aujourd'hui, il fait chaud et beau {in_city}.", "Hoy hace calor y sol {in_city}.",
           "Сегодня {in_city} жарко и солнечно.")),
    F(w_p=("It is raining heavily {in_city} today.", "Heute regnet es {in_city} stark.",
           "Aujourd'hui, il pleut beaucoup {in_city}.", "Hoy llueve mucho {in_city}.",
           "Сегодня {in_city} идёт сильный дождь."),
      w_e=("The streets {in_city} are wet today.", "Heute sind die Straßen {in_city} nass.",
           "Aujourd'hui, les rues sont mouillées {in_city}.", "Hoy las calles están mojadas {in_city}.",
           "Сегодня {in_city} мокрые улицы."),
      w_c=("It is completely dry {in_city} today.", "Heute ist es {in_city} völlig trocken.",
           "Aujourd'hui, le temps est parfaitement sec {in_city}.", "Hoy el tiempo está completamente seco {in_city}.",
           "Сегодня {in_city} совершенно сухо.")),
    F(w_p=("A strong wind is blowing {in_city} today.", "Heute weht {in_city} ein starker Wind.",
           "Aujourd'hui, un vent fort souffle {in_city}.", "Hoy sopla un viento fuerte {in_city}.",
           "Сегодня {in_city} дует сильный ветер."),
      w_e=("It is windy {in_city} today.", "Heute ist es {in_city} windig.",
           "Aujourd'hui, il y a du vent {in_city}.", "Hoy hace viento {in_city}.",
           "Сегодня {in_city} ветрено."),
      w_c=("There is no wind at all {in_city} today.", "Heute gibt es {in_city} überhaupt keinen Wind.",
           "Aujourd'hui, il n'y a pas de vent du tout {in_city}.", "Hoy no hay nada de viento {in_city}.",
           "Сегодня {in_city} совсем нет ветра.")),
    F(w_p=("It is thirty-five degrees {in_city} today.", "Heute sind es {in_city} fünfunddreißig Grad.",
           "Aujourd'hui, il fait trente-cinq degrés {in_city}.", "Hoy hace treinta y cinco grados {in_city}.",
           "Сегодня {in_city} тридцать пять градусов тепла."),
      w_e=("It is hot {in_city} today.", "Heute ist es {in_city} heiß.",
           "Aujourd'hui, il fait chaud {in_city}.", "Hoy hace calor {in_city}.",
           "Сегодня {in_city} жарко."),
      w_c=("It is freezing cold {in_city} today.", "Heute ist es {in_city} eiskalt.",
           "Aujourd'hui, il gèle {in_city}.", "Hoy hace un frío helador {in_city}.",
           "Сегодня {in_city} сильный мороз.")),
    F(w_p=("There is thick fog {in_city} today.", "Heute herrscht {in_city} dichter Nebel.",
           "Aujourd'hui, il y a un épais brouillard {in_city}.", "Hoy hay una niebla espesa {in_city}.",
           "Сегодня {in_city} густой туман."),
      w_e=("It is hard to see far {in_city} today.", "Heute kann man {in_city} nicht weit sehen.",
           "Aujourd'hui, on ne voit pas loin {in_city}.", "Hoy no se ve muy lejos {in_city}.",
           "Сегодня {in_city} плохая видимость."),
      w_c=("The air {in_city} is perfectly clear today.", "Heute ist die Luft {in_city} völlig klar.",
           "Aujourd'hui, l'air est parfaitement clair {in_city}.", "Hoy el aire está totalmente despejado {in_city}.",
           "Сегодня {in_city} воздух совершенно прозрачный.")),
]

COLOURS = [  # "a ... coat": de accusative masculine, fr/es masculine, ru neuter (пальто) and its prepositional
    F(colour=("red", "roten", "rouge", "rojo", "красное"), colour_prep=("", "", "", "", "красном")),
    F(colour=("blue", "blauen", "bleu", "azul", "синее"), colour_prep=("", "", "", "", "синем")),
    F(colour=("green", "grünen", "vert", "verde", "зелёное"), colour_prep=("", "", "", "", "зелёном")),
    F(colour=("black", "schwarzen", "noir", "negro", "чёрное"), colour_prep=("", "", "", "", "чёрном")),
    F(colour=("white", "weißen", "blanc", "blanco", "белое"), colour_prep=("", "", "", "", "белом")),
    F(colour=("yellow", "gelben", "jaune", "amarillo", "жёлтое"), colour_prep=("", "", "", "", "жёлтом")),
    F(colour=("grey", "grauen", "gris", "gris", "серое"), colour_prep=("", "", "", "", "сером")),
    F(colour=("brown", "braunen", "marron", "marrón", "коричневое"), colour_prep=("", "", "", "", "коричневом")),
]

SUBJECTS = [  # school subjects, as objects of "teach"
    F(subject=("maths", "Mathematik", "les mathématiques", "matemáticas", "математику")),
    F(subject=("history", "Geschichte", "l'histoire", "historia", "историю")),
    F(subject=("chemistry", "Chemie", "la chimie", "química", "химию")),
    F(subject=("music", "Musik", "la musique", "música", "музыку")),
    F(subject=("geography", "Erdkunde", "la géographie", "geografía", "географию")),
    F(subject=("physics", "Physik", "la physique", "física", "физику")),
    F(subject=("biology", "Biologie", "la biologie", "biología", "биологию")),
]

POOLS = {
    "name": NAMES, "city": CITIES, "instr": INSTRUMENTS, "season": SEASONS, "food": FOODS,
    "rel": RELATIONS, "num": NUMBERS, "good": GOODS, "pet": PETS, "sport": SPORTS, "day": DAYS,
    "reading": READINGS, "vehicle": VEHICLES, "meal": MEALS, "guests": GUESTS, "weather": WEATHERS,
    "colour": COLOURS, "subject": SUBJECTS,
}


def T(en, de, fr, es, ru):
    """One sentence template in the five languages."""
    return (en, de, fr, es, ru)


def H(labels, en, de, fr, es, ru):
    """A hypothesis template and its label under each premise of its scenario, one letter per premise:
    E(ntailment), N(eutral), C(ontradiction), or - where the pair would be unclear and is not used."""
    return (labels, T(en, de, fr, es, ru))


# Hypotheses shared by several scenarios.
NOT_AT_HOME = ("{N} is not at home right now.", "{N} ist gerade nicht zu Hause.",
               "{N} n'est pas à la maison en ce moment.", "{N} no está en casa en este momento.",
               "{N} сейчас не дома.")
AT_HOME = ("{N} is at home at the moment.", "{N} ist im Moment zu Hause.", "{N} est à la maison en ce moment.",
           "{N} está en casa en este momento.", "{N} сейчас дома.")

# ---------------------------------------------------------------------------------------------------
# Scenarios: slots (slot name -> pool; two slots on one pool get different fillers), one or two
# premises, and hypotheses whose label depends on the premise (e.g. "{N} is not at home right now." is
# entailed by "{N} is playing ... in a park" and contradicted by "{N} is practising ... at home"), so
# that neither the premise nor the hypothesis alone gives the label away. Every premise supports every
# label; negation, "never", "nobody" and "someone" occur under more than one label.
# ---------------------------------------------------------------------------------------------------
SCENARIOS = {
    "music": {
        "slots": {"N": "name", "instr": "instr", "city": "city"},
        "premises": [
            T("{N} is playing {instr} in a park {in_city}.", "{N} spielt in einem Park {in_city} {instr}.",
              "{N} joue {instr} dans un parc {in_city}.", "{N} toca {instr} en un parque de {city}.",
              "{N} играет {instr} в парке {in_city}."),
            T("{N} is practising {instr} at home {in_city}.", "{N} übt zu Hause {in_city} {instr}.",
              "{N} s'entraîne à jouer {instr} chez {lui} {in_city}.", "{N} practica {instr} en casa, en {city}.",
              "{N} дома {in_city} упражняется в игре {instr}."),
        ],
        "hypotheses": [
            H("EE", "Someone is playing a musical instrument {in_city}.",
              "Jemand spielt {in_city} ein Musikinstrument.", "Quelqu'un joue d'un instrument de musique {in_city}.",
              "Alguien toca un instrumento musical {in_city}.", "Кто-то играет на музыкальном инструменте {in_city}."),
            H("EC", *NOT_AT_HOME),
            H("CE", *AT_HOME),
            H("NN", "{N} is a professional musician.", "{N} ist Berufsmusiker{in}.",
              "{N} est musicien{ne} professionnel{le}.", "{N} es músic{o} profesional.",
              "{N} — профессиональный музыкант."),
            H("N-", "{N} is playing there to earn some money.", "{N} spielt dort, um etwas Geld zu verdienen.",
              "{N} joue là-bas pour gagner un peu d'argent.", "{N} toca allí para ganar algo de dinero.",
              "{N} играет там, чтобы заработать немного денег."),
            H("NN", "{N} has never played in a concert hall.", "{N} hat noch nie in einem Konzertsaal gespielt.",
              "{N} n'a jamais joué dans une salle de concert.", "{N} nunca ha tocado en una sala de conciertos.",
              "{N} никогда не выступал{a} в концертном зале."),
            H("CN", "Nobody is playing music in the park.", "Im Park spielt niemand Musik.",
              "Personne ne joue de la musique dans le parc.", "Nadie toca música en el parque.",
              "В парке никто не играет музыку."),
            H("CC", "{N} is sleeping at home right now.", "{N} schläft gerade zu Hause.",
              "{N} dort chez {lui} en ce moment.", "{N} está durmiendo en casa ahora mismo.",
              "{N} сейчас спит дома."),
        ],
    },
    "season": {
        "slots": {"N": "name", "season": "season", "city": "city", "city2": "city"},
        "premises": [
            T("{N} spends {whole_season} {in_city}.", "{N} verbringt {whole_season} {in_city}.",
              "{N} passe {whole_season} {in_city}.", "{N} pasa {whole_season} {in_city}.",
              "{N} проводит {whole_season} {in_city}."),
            T("{N} has never been {to_city} but would like to go.", "{N} war noch nie {in_city}, möchte aber gern hin.",
              "{N} n'est jamais allé{e} {to_city}, mais aimerait y aller.",
              "{N} nunca ha estado {in_city}, pero le gustaría ir.",
              "{N} никогда не был{a} {in_city}, но хотел{a} бы туда поехать."),
        ],
        "hypotheses": [
            H("EN", "{N} spends {the_season} {in_country}.", "{N} verbringt {the_season} {in_country}.",
              "{N} passe {the_season} {in_country}.", "{N} pasa {the_season} {in_country}.",
              "{N} проводит {the_season} {in_country}."),
            H("EN", "{N} spends {the_season} in a capital city.", "{N} verbringt {the_season} in einer Hauptstadt.",
              "{N} passe {the_season} dans une capitale.", "{N} pasa {the_season} en una capital.",
              "{N} проводит {the_season} в столице."),
            H("NC", "{N} spends {whole_season} {in_city} with {poss} grandparents.",
              "{N} verbringt {whole_season} mit {poss}en Großeltern {in_city}.",
              "{N} passe {whole_season} {in_city} avec ses grands-parents.",
              "{N} pasa {whole_season} {in_city} con sus abuelos.",
              "{N} проводит {whole_season} {in_city} с бабушкой и дедушкой."),
            H("N-", "{N} rents a small flat {in_city}.", "{N} mietet eine kleine Wohnung {in_city}.",
              "{N} loue un petit appartement {in_city}.", "{N} alquila un piso pequeño {in_city}.",
              "{N} снимает небольшую квартиру {in_city}."),
            H("NE", "{N} would like to visit {city}.", "{N} würde gern {to_city} reisen.",
              "{N} aimerait aller {to_city}.", "A {N} le gustaría ir {to_city}.",
              "{N} хотел{a} бы поехать {to_city}."),
            H("CN", "{N} spends {whole_season} {in_country2}.", "{N} verbringt {whole_season} {in_country2}.",
              "{N} passe {whole_season} {in_country2}.", "{N} pasa {whole_season} {in_country2}.",
              "{N} проводит {whole_season} {in_country2}."),
            H("CE", "{N} has never been {to_city}.", "{N} war noch nie {in_city}.",
              "{N} n'est jamais allé{e} {to_city}.", "{N} nunca ha estado {in_city}.",
              "{N} никогда не был{a} {in_city}."),
        ],
    },
    "kitchen": {
        "slots": {"N": "name", "food": "food"},
        "premises": [
            T("{N} is eating {food} in the kitchen.", "{N} isst in der Küche {food}.",
              "{N} mange {food} dans la cuisine.", "{N} come {food} en la cocina.", "{N} ест {food} на кухне."),
            T("{N} is washing the dishes in the kitchen.", "{N} spült in der Küche das Geschirr.",
              "{N} fait la vaisselle dans la cuisine.", "{N} friega los platos en la cocina.",
              "{N} моет посуду на кухне."),
        ],
        "hypotheses": [
            H("EE", "There is a person in the kitchen.", "In der Küche befindet sich eine Person.",
              "Il y a une personne dans la cuisine.", "Hay una persona en la cocina.", "На кухне находится человек."),
            H("EN", "{N} is eating something at the moment.", "{N} isst gerade etwas.",
              "{N} est en train de manger quelque chose.", "{N} está comiendo algo ahora.", "{N} сейчас что-то ест."),
            H("NE", "{N} is cleaning something right now.", "{N} macht gerade etwas sauber.", "{N} nettoie quelque chose.",
              "{N} está limpiando algo.", "{N} что-то моет."),
            H("NN", "{N} is in a big hurry this morning.", "{N} hat es heute Morgen sehr eilig.",
              "{N} est très pressé{e} ce matin.", "{N} tiene mucha prisa esta mañana.",
              "{N} сегодня утром очень торопится."),
            H("NN", "{N} is eating alone today.", "{N} isst heute allein.", "{N} mange seul{e} aujourd'hui.",
              "{N} come sol{o} hoy.", "{N} сегодня ест {odin}."),
            H("N-", "{N} is having breakfast right now.", "{N} frühstückt gerade.",
              "{N} prend son petit-déjeuner en ce moment.", "{N} está desayunando ahora mismo.",
              "{N} сейчас завтракает."),
            H("CN", "{N} is not eating anything.", "{N} isst gar nichts.", "{N} ne mange rien.",
              "{N} no está comiendo nada.", "{N} ничего не ест."),
            H("CC", "There is nobody in the kitchen.", "In der Küche ist niemand.", "Il n'y a personne dans la cuisine.",
              "No hay nadie en la cocina.", "На кухне никого нет."),
        ],
    },
    "compare": {
        "slots": {"N": "name", "N2": "name", "N3": "name", "rel": "rel"},
        "premises": [T("{N} {rel} {N2}.", "{N} {rel} {N2}.", "{N} {rel} {N2}.", "{N} {rel} {N2}.", "{N} {rel} {N2}.")],
        "hypotheses": [
            H("E", "{N2} {inv_2} {N}.", "{N2} {inv_2} {N}.", "{N2} {inv_2} {N}.", "{N2} {inv_2} {N}.",
              "{N2} {inv_2} {N}."),
            H("E", "{N2} {neg_2} {N}.", "{N2} {neg_2} {N}.", "{N2} {neg_2} {N}.", "{N2} {neg_2} {N}.",
              "{N2} {neg_2} {N}."),
            H("N", "{N} {rel} {N3}.", "{N} {rel} {N3}.", "{N} {rel} {N3}.", "{N} {rel} {N3}.", "{N} {rel} {N3}."),
            H("N", "{N3} {rel_3} {N2}.", "{N3} {rel_3} {N2}.", "{N3} {rel_3} {N2}.", "{N3} {rel_3} {N2}.",
              "{N3} {rel_3} {N2}."),
            H("N", "{N3} {inv_3} {N}.", "{N3} {inv_3} {N}.", "{N3} {inv_3} {N}.", "{N3} {inv_3} {N}.",
              "{N3} {inv_3} {N}."),
            H("C", "{N2} {rel_2} {N}.", "{N2} {rel_2} {N}.", "{N2} {rel_2} {N}.", "{N2} {rel_2} {N}.",
              "{N2} {rel_2} {N}."),
            H("C", "{N} {inv} {N2}.", "{N} {inv} {N2}.", "{N} {inv} {N2}.", "{N} {inv} {N2}.", "{N} {inv} {N2}."),
            H("C", "{N} {neg} {N2}.", "{N} {neg} {N2}.", "{N} {neg} {N2}.", "{N} {neg} {N2}.", "{N} {neg} {N2}."),
        ],
    },
    "market": {
        "slots": {"N": "name", "num": "num", "good": "good"},
        "premises": [
            T("{N} buys {count} at the market.", "{N} kauft auf dem Markt {count}.",
              "{N} achète {count} au marché.", "{N} compra {count} en el mercado.",
              "{N} покупает на рынке {count}."),
            T("{N} goes to the market but does not buy anything.", "{N} geht auf den Markt, kauft aber nichts.",
              "{N} va au marché mais n'achète rien.", "{N} va al mercado pero no compra nada.",
              "{N} идёт на рынок, но ничего не покупает."),
        ],
        "hypotheses": [
            H("EC", "{N} buys {several} at the market.", "{N} kauft auf dem Markt {several}.",
              "{N} achète {several} au marché.", "{N} compra {several} en el mercado.",
              "{N} покупает на рынке {several}."),
            H("E-", "{N} is shopping at the market.", "{N} kauft auf dem Markt ein.", "{N} fait ses courses au marché.",
              "{N} hace la compra en el mercado.", "{N} делает покупки на рынке."),
            H("EE", "{N} is at the market.", "{N} ist auf dem Markt.", "{N} est au marché.",
              "{N} está en el mercado.", "{N} находится на рынке."),
            H("NC", "{N} buys {count} for {poss} mother.", "{N} kauft {count} für {poss}e Mutter.",
              "{N} achète {count} pour sa mère.", "{N} compra {count} para su madre.",
              "{N} покупает {count} для своей мамы."),
            H("N-", "{N} pays for everything in cash.", "{N} bezahlt alles bar.", "{N} paie tout en espèces.",
              "{N} lo paga todo en efectivo.", "{N} за всё платит наличными."),
            H("NN", "{N} is looking for a present.", "{N} sucht ein Geschenk.", "{N} cherche un cadeau.",
              "{N} busca un regalo.", "{N} ищет подарок."),
            H("CE", "{N} does not buy anything at the market.", "{N} kauft auf dem Markt nichts.",
              "{N} n'achète rien au marché.", "{N} no compra nada en el mercado.",
              "{N} ничего не покупает на рынке."),
            H("CC", "{N} buys {only} at the market.", "{N} kauft auf dem Markt {only}.",
              "{N} achète {only} au marché.", "{N} compra {only} en el mercado.",
              "{N} покупает на рынке {only}."),
        ],
    },
    "pet": {
        "slots": {"N": "name", "pet": "pet"},
        "premises": [
            T("{N} feeds {pet} every morning.", "{N} füttert jeden Morgen {pet}.",
              "{N} nourrit {pet} tous les matins.", "{N} da de comer a {pet} todas las mañanas.",
              "{N} каждое утро кормит {pet}."),
            T("{N} is allergic to animals and has never had a pet.",
              "{N} ist allergisch gegen Tiere und hatte noch nie ein Haustier.",
              "{N} est allergique aux animaux et n'a jamais eu d'animal de compagnie.",
              "{N} es alérgic{o} a los animales y nunca ha tenido mascota.",
              "{N} страдает аллергией на животных и никогда не держал{a} питомцев."),
        ],
        "hypotheses": [
            H("EC", "{N} keeps an animal at home.", "{N} hält zu Hause ein Tier.", "{N} a un animal à la maison.",
              "{N} tiene un animal en casa.", "{N} держит дома животное."),
            H("E-", "{N} takes care of an animal.", "{N} kümmert sich um ein Tier.", "{N} s'occupe d'un animal.",
              "{N} cuida de un animal.", "{N} заботится о животном."),
            H("NC", "{N} loves {pet} very much.", "{N} liebt {pet} sehr.", "{N} aime beaucoup {pet}.",
              "{N} quiere mucho a {pet}.", "{N} очень любит {pet}."),
            H("NN", "{N} lives alone in a small flat.", "{N} wohnt allein in einer kleinen Wohnung.",
              "{N} vit seul{e} dans un petit appartement.", "{N} vive sol{o} en un piso pequeño.",
              "{N} живёт {odin} в маленькой квартире."),
            H("NN", "{N} gets up very early.", "{N} steht sehr früh auf.", "{N} se lève très tôt.",
              "{N} se levanta muy temprano.", "{N} встаёт очень рано."),
            H("CE", "{N} has never owned an animal.", "{N} hat noch nie ein Tier gehabt.", "{N} n'a jamais eu d'animal.",
              "{N} nunca ha tenido ningún animal.", "{N} никогда не держал{a} животных."),
            H("CE", "{N} does not have any animals.", "{N} hat keine Tiere.", "{N} n'a aucun animal.",
              "{N} no tiene ningún animal.", "{N} не держит никаких животных."),
        ],
    },
    "sport": {
        "slots": {"N": "name", "sport": "sport", "sport2": "sport", "day": "day"},
        "premises": [
            T("{N} plays {sport} with friends {every_day}.", "{N} spielt {every_day} mit Freunden {sport}.",
              "{N} joue {sport} avec des amis {every_day}.", "{N} juega {sport} con amigos {every_day}.",
              "{N} {every_day} играет с друзьями {sport}."),
            T("{N} stopped playing {sport} many years ago.", "{N} hat vor vielen Jahren mit {sport} aufgehört.",
              "{N} a arrêté de jouer {sport} il y a des années.", "{N} dejó de jugar {sport} hace muchos años.",
              "{N} бросил{a} играть {sport} много лет назад."),
        ],
        "hypotheses": [
            H("EN", "{N} does sport {on_days}.", "{N} treibt {on_days} Sport.", "{N} fait du sport {on_days}.",
              "{N} hace deporte {on_days}.", "{N} занимается спортом {on_days}."),
            H("EN", "{N} regularly spends time with friends.", "{N} verbringt regelmäßig Zeit mit Freunden.",
              "{N} passe régulièrement du temps avec des amis.", "{N} pasa tiempo con amigos regularmente.",
              "{N} регулярно проводит время с друзьями."),
            H("EE", "{N} knows how to play {sport}.", "{N} kann {sport} spielen.", "{N} sait jouer {sport}.",
              "{N} sabe jugar {sport}.", "{N} умеет играть {sport}."),
            H("EC", "{N} plays {sport} {every_day}.", "{N} spielt {every_day} {sport}.",
              "{N} joue {sport} {every_day}.", "{N} juega {sport} {every_day}.", "{N} {every_day} играет {sport}."),
            H("NN", "{N} also plays {sport2} at the weekend.", "{N} spielt am Wochenende auch {sport2}.",
              "{N} joue aussi {sport2} le week-end.", "{N} también juega {sport2} los fines de semana.",
              "{N} по выходным также играет {sport2}."),
            H("N-", "{N} plays {sport} very well.", "{N} spielt sehr gut {sport}.", "{N} joue très bien {sport}.",
              "{N} juega muy bien {sport}.", "{N} очень хорошо играет {sport}."),
            H("C-", "{N} never plays {sport} at all.", "{N} spielt überhaupt nie {sport}.", "{N} ne joue jamais {sport}.",
              "{N} nunca juega {sport}.", "{N} вообще никогда не играет {sport}."),
            H("CE", "{N} no longer plays {sport}.", "{N} spielt kein {sport} mehr.", "{N} ne joue plus {sport}.",
              "{N} ya no juega {sport}.", "{N} больше не играет {sport}."),
            H("CN", "{N} does not do any sport at all.", "{N} treibt überhaupt keinen Sport.",
              "{N} ne fait aucun sport.", "{N} no practica ningún deporte.", "{N} совсем не занимается спортом."),
        ],
    },
    "travel": {
        "slots": {"N": "name", "reading": "reading", "vehicle": "vehicle", "city": "city"},
        "premises": [
            T("{N} is reading {reading} {in_vehicle}.", "{N} liest {in_vehicle} {reading}.",
              "{N} lit {reading} {in_vehicle}.", "{N} lee {reading} {in_vehicle}.",
              "{N} читает {reading} {in_vehicle}."),
            T("{N} is reading {reading} in bed at home.", "{N} liest zu Hause im Bett {reading}.",
              "{N} lit {reading} dans son lit, à la maison.", "{N} lee {reading} en la cama, en casa.",
              "{N} читает {reading} дома в кровати."),
        ],
        "hypotheses": [
            H("EC", "{N} {by_vehicle}.", "{N} {by_vehicle}.", "{N} {by_vehicle}.", "{N} {by_vehicle}.",
              "{N} {by_vehicle}."),
            H("EC", *NOT_AT_HOME),
            H("CE", *AT_HOME),
            H("EE", "{N} is awake at the moment.", "{N} ist gerade wach.", "{N} est réveillé{e} en ce moment.",
              "{N} está despiert{o} en este momento.", "{N} сейчас не спит."),
            H("NC", "{N} is travelling {to_city} for work.", "{N} reist beruflich {to_city}.",
              "{N} se rend {to_city} pour le travail.", "{N} viaja {to_city} por trabajo.",
              "{N} направляется {to_city} по работе."),
            H("NC", "{N} is on {poss} way home.", "{N} ist auf dem Heimweg.", "{N} rentre chez {lui}.",
              "{N} vuelve a casa.", "{N} возвращается домой."),
            H("NN", "{N} enjoys reading very much.", "{N} liest sehr gern.", "{N} adore lire.",
              "A {N} le encanta leer.", "{N} очень любит читать."),
            H("NN", "{N} is feeling ill today.", "{N} ist heute krank.", "{N} est malade aujourd'hui.",
              "{N} está enferm{o} hoy.", "{N} сегодня болеет."),
            H("CC", "{N} is asleep in bed at home.", "{N} schläft zu Hause im Bett.",
              "{N} dort dans son lit à la maison.", "{N} duerme en su cama, en casa.",
              "{N} спит дома в кровати."),
            H("CC", "{N} is swimming in the sea.", "{N} schwimmt im Meer.", "{N} nage dans la mer.",
              "{N} está nadando en el mar.", "{N} плавает в море."),
        ],
    },
    "cook": {
        "slots": {"N": "name", "meal": "meal", "guests": "guests"},
        "premises": [
            T("{N} is making {meal} for {people}.", "{N} macht {meal} für {people}.",
              "{N} prépare {meal} pour {people}.", "{N} prepara {meal} para {people}.",
              "{N} готовит {meal} для {people}."),
            T("{N} has ordered {meal} for {people} from a restaurant.",
              "{N} hat für {people} {meal} im Restaurant bestellt.",
              "{N} a commandé {meal} pour {people} au restaurant.",
              "{N} ha pedido {meal} para {people} en un restaurante.",
              "{N} заказал{a} {meal} для {people} в ресторане."),
        ],
        "hypotheses": [
            H("EN", "{N} is preparing food right now.", "{N} bereitet gerade Essen zu.",
              "{N} est en train de cuisiner.", "{N} está cocinando ahora mismo.", "{N} сейчас готовит еду."),
            H("E-", "Someone is preparing a meal for other people.",
              "Jemand bereitet eine Mahlzeit für andere Menschen zu.",
              "Quelqu'un prépare un repas pour d'autres personnes.",
              "Alguien prepara una comida para otras personas.", "Кто-то готовит еду для других людей."),
            H("EE", "{N} is organising {meal} for other people.", "{N} organisiert {meal} für andere Menschen.",
              "{N} organise {meal} pour d'autres personnes.", "{N} organiza {meal} para otras personas.",
              "{N} организует {meal} для других людей."),
            H("NN", "{N} is a very good cook.", "{N} kocht sehr gut.", "{N} cuisine très bien.",
              "{N} cocina muy bien.", "{N} очень хорошо готовит."),
            H("NN", "{N} does not really like cooking.", "{N} kocht nicht besonders gern.",
              "{N} n'aime pas vraiment cuisiner.", "A {N} no le gusta mucho cocinar.",
              "{N} не очень любит готовить."),
            H("NE", "{N} has placed an order.", "{N} hat eine Bestellung aufgegeben.", "{N} a passé une commande.",
              "{N} ha hecho un pedido.", "{N} сделал{a} заказ."),
            H("NC", "{N} has not ordered any food.", "{N} hat kein Essen bestellt.", "{N} n'a pas commandé de repas.",
              "{N} no ha pedido comida.", "{N} не заказывал{a} еду."),
            H("C-", "Nobody is cooking anything at the moment.", "Im Moment kocht niemand etwas.",
              "Personne ne cuisine en ce moment.", "Nadie está cocinando en este momento.",
              "Сейчас никто ничего не готовит."),
            H("CN", "{N} is not making any food.", "{N} bereitet kein Essen zu.", "{N} ne prépare rien à manger.",
              "{N} no prepara nada de comer.", "{N} не готовит никакой еды."),
        ],
    },
    "weather": {
        "slots": {"weather": "weather", "city": "city"},
        "premises": [T("{w_p}", "{w_p}", "{w_p}", "{w_p}", "{w_p}")],
        "hypotheses": [
            H("E", "{w_e}", "{w_e}", "{w_e}", "{w_e}", "{w_e}"),
            H("N", "Many people {in_city} stay at home today.", "Viele Menschen {in_city} bleiben heute zu Hause.",
              "Aujourd'hui, beaucoup de gens restent chez eux {in_city}.",
              "Hoy mucha gente se queda en casa {in_city}.", "Сегодня многие люди {in_city} остаются дома."),
            H("N", "It will rain {in_city} tomorrow.", "Morgen wird es {in_city} regnen.",
              "Demain, il pleuvra {in_city}.", "Mañana lloverá {in_city}.", "Завтра {in_city} будет дождь."),
            H("C", "{w_c}", "{w_c}", "{w_c}", "{w_c}", "{w_c}"),
        ],
    },
    "coat": {
        "slots": {"N": "name", "colour": "colour"},
        "premises": [
            T("{N} is wearing a {colour} coat and a hat today.",
              "{N} trägt heute einen {colour} Mantel und einen Hut.",
              "{N} porte aujourd'hui un manteau {colour} et un chapeau.",
              "{N} lleva hoy un abrigo {colour} y un sombrero.",
              "{N} сегодня одет{a} в {colour} пальто и шляпу."),
            T("{N} has left {poss} {colour} coat at home today.",
              "{N} hat heute {poss}en {colour} Mantel zu Hause gelassen.",
              "{N} a laissé son manteau {colour} à la maison aujourd'hui.",
              "{N} ha dejado su abrigo {colour} en casa hoy.",
              "{N} сегодня оставил{a} своё {colour} пальто дома."),
        ],
        "hypotheses": [
            H("EN", "{N} is wearing a coat today.", "{N} trägt heute einen Mantel.", "{N} porte un manteau aujourd'hui.",
              "{N} lleva un abrigo hoy.", "{N} сегодня в пальто."),
            H("EC", "{N} is wearing a hat and a {colour} coat today.",
              "{N} trägt heute einen Hut und einen {colour} Mantel.",
              "{N} porte aujourd'hui un chapeau et un manteau {colour}.",
              "{N} lleva hoy un sombrero y un abrigo {colour}.",
              "{N} сегодня одет{a} в шляпу и {colour} пальто."),
            H("NN", "{N} is feeling cold today.", "{N} friert heute.", "{N} a froid aujourd'hui.",
              "{N} tiene frío hoy.", "{N} сегодня мёрзнет."),
            H("NN", "{N} is on {poss} way to work.", "{N} ist auf dem Weg zur Arbeit.",
              "{N} est en route pour le travail.", "{N} va de camino al trabajo.", "{N} идёт на работу."),
            H("NN", "{N} bought the coat last week.", "{N} hat den Mantel letzte Woche gekauft.",
              "{N} a acheté le manteau la semaine dernière.", "{N} compró el abrigo la semana pasada.",
              "{N} купил{a} пальто на прошлой неделе."),
            H("CN", "{N} is not wearing a coat today.", "{N} trägt heute keinen Mantel.",
              "{N} ne porte pas de manteau aujourd'hui.", "{N} no lleva abrigo hoy.", "{N} сегодня без пальто."),
            H("CN", "{N} has nothing on {poss} head today.", "{N} trägt heute nichts auf dem Kopf.",
              "{N} ne porte rien sur la tête aujourd'hui.", "{N} no lleva nada en la cabeza hoy.",
              "{N} сегодня без головного убора."),
            H("CE", "{N} is not wearing the {colour} coat today.", "{N} trägt heute nicht den {colour} Mantel.",
              "{N} ne porte pas le manteau {colour} aujourd'hui.", "{N} no lleva el abrigo {colour} hoy.",
              "{N} сегодня не в {colour_prep} пальто."),
        ],
    },
    "teach": {
        "slots": {"N": "name", "subject": "subject", "subject2": "subject", "city": "city"},
        "premises": [
            T("{N} teaches {subject} at a school {in_city}.",
              "{N} unterrichtet {subject} an einer Schule {in_city}.",
              "{N} enseigne {subject} dans une école {in_city}.",
              "{N} enseña {subject} en una escuela de {city}.",
              "{N} преподаёт {subject} в школе {in_city}."),
            T("{N} studies {subject} at a university {in_city}.",
              "{N} studiert {subject} an einer Universität {in_city}.",
              "{N} étudie {subject} dans une université {in_city}.",
              "{N} estudia {subject} en una universidad de {city}.",
              "{N} изучает {subject} в университете {in_city}."),
        ],
        "hypotheses": [
            H("EN", "{N} works at a school.", "{N} arbeitet an einer Schule.", "{N} travaille dans une école.",
              "{N} trabaja en una escuela.", "{N} работает в школе."),
            H("EN", "{N} has a job {in_city}.", "{N} hat eine Arbeit {in_city}.", "{N} a un emploi {in_city}.",
              "{N} tiene un empleo {in_city}.", "{N} работает {in_city}."),
            H("NE", "{N} is a student at the moment.", "{N} ist zurzeit Student{in}.", "{N} est étudiant{e} en ce moment.",
              "{N} es estudiante en este momento.", "{N} сейчас студент{ka}."),
            H("NE", "{N} is learning about {subject}.", "{N} lernt {subject}.", "{N} apprend {subject}.",
              "{N} aprende {subject}.", "{N} учит {subject}."),
            H("N-", "{N} has been teaching there for ten years.", "{N} unterrichtet dort seit zehn Jahren.",
              "{N} y enseigne depuis dix ans.", "{N} enseña allí desde hace diez años.",
              "{N} преподаёт там уже десять лет."),
            H("N-", "{N} also teaches {subject2} at the same school.",
              "{N} unterrichtet an derselben Schule auch {subject2}.",
              "{N} enseigne aussi {subject2} dans la même école.",
              "{N} también enseña {subject2} en la misma escuela.",
              "{N} также преподаёт {subject2} в той же школе."),
            H("NN", "{N} has never taught at a university.", "{N} hat noch nie an einer Universität unterrichtet.",
              "{N} n'a jamais enseigné à l'université.", "{N} nunca ha enseñado en una universidad.",
              "{N} никогда не преподавал{a} в университете."),
            H("-C", "{N} has never studied {subject}.", "{N} hat noch nie {subject} gelernt.",
              "{N} n'a jamais étudié {subject}.", "{N} nunca ha estudiado {subject}.",
              "{N} никогда не изучал{a} {subject}."),
            H("CN", "{N} has never worked at a school.", "{N} hat noch nie an einer Schule gearbeitet.",
              "{N} n'a jamais travaillé dans une école.", "{N} nunca ha trabajado en una escuela.",
              "{N} никогда не работал{a} в школе."),
            H("CN", "{N} does not work {in_city}.", "{N} arbeitet nicht {in_city}.", "{N} ne travaille pas {in_city}.",
              "{N} no trabaja {in_city}.", "{N} не работает {in_city}."),
        ],
    },
}

_FR_ELISION = re.compile(r"\bque ([AEIOUYÉÈÊHaeiouyéèêh])")


def _fill(text: str, values: dict) -> str:
    out = text.format(**values)
    assert "{" not in out and "}" not in out, out
    return out


def render_values(scenario: str, slots: dict, lang: str) -> dict:
    """The strings a scenario's templates use, in one language, for the chosen slot fillers."""
    li = LANGS.index(lang)
    spec = SCENARIOS[scenario]["slots"]
    gender_of = {}
    values: dict = {}
    for slot, pool_name in spec.items():
        if pool_name == "name":
            gender, *names = NAMES[slots[slot]]
            values[slot] = names[li]
            gender_of[slot] = gender
    main = GENDER_VARS[lang][gender_of["N"]] if "N" in gender_of else {}
    values.update(main)
    for slot, pool_name in spec.items():
        if pool_name == "name":
            continue
        filler = POOLS[pool_name][slots[slot]]
        suffix = slot[len(pool_name):] if slot.startswith(pool_name) else ""  # "city2" -> "2"
        for form, per_lang in filler.items():
            if form == "ru_counts":
                continue
            values[form + suffix] = per_lang[li]
    if "num" in spec:  # numeral + noun, with the Russian case rules spelled out per good
        good = GOODS[slots["good"]]
        n = slots["num"]
        values["count"] = good["ru_counts"][n] if lang == "ru" else f"{NUMBERS[n]['num'][li]} {good['pl'][li]}"
    if "rel" in spec:  # comparatives agree with their own subject
        rel = RELATIONS[slots["rel"]]
        for who, tag in (("N", ""), ("N2", "_2"), ("N3", "_3")):
            gvars = GENDER_VARS[lang][gender_of[who]]
            for form in ("rel", "inv", "neg"):
                values[form + tag] = rel[form][li].format(**gvars)
    # Fillers may themselves hold {poss}, {in_city}, ...: resolve them against the main subject.
    for key, value in list(values.items()):
        if isinstance(value, str) and "{" in value:
            values[key] = _fill(value, {**main, **{k: v for k, v in values.items() if "{" not in v}})
    return values


def render(scenario: str, slots: dict, premise: int, hypothesis: int, lang: str) -> tuple[str, str]:
    """The (premise, hypothesis) pair in one language."""
    li = LANGS.index(lang)
    values = render_values(scenario, slots, lang)
    sc = SCENARIOS[scenario]
    texts = (_fill(sc["premises"][premise][li], values), _fill(sc["hypotheses"][hypothesis][1][li], values))
    if lang == "fr":
        texts = tuple(_FR_ELISION.sub(r"qu'\1", t) for t in texts)
    return texts


def label_choices(scenario: str, label: str) -> list[tuple[int, list[int]]]:
    """For each premise of the scenario that has hypotheses with this label: (premise, [hypotheses])."""
    letter = label[0].upper()
    sc = SCENARIOS[scenario]
    choices = []
    for p in range(len(sc["premises"])):
        hyps = [h for h, (codes, _) in enumerate(sc["hypotheses"]) if codes[p] == letter]
        if hyps:
            choices.append((p, hyps))
    return choices


def sample_slots(rng: random.Random, scenario: str) -> dict:
    slots: dict = {}
    taken: dict = {}
    for slot, pool_name in SCENARIOS[scenario]["slots"].items():
        size = len(POOLS[pool_name])
        while True:
            pick = rng.randrange(size)
            if pick not in taken.setdefault(pool_name, set()):
                break
        taken[pool_name].add(pick)
        slots[slot] = pick
    return slots


def sample_nli_items(rng, per_label, seen_pairs, banned_premises):
    """per_label items per label, spread evenly over the scenarios; a premise is drawn first and then a
    hypothesis with the wanted label, and English (premise, hypothesis) pairs are unique over all splits."""
    items = []
    names = sorted(SCENARIOS)
    for label in LABELS:
        order = []
        while len(order) < per_label * 3:
            block = names[:]
            rng.shuffle(block)
            order.extend(block)
        made = 0
        for scenario in order:
            if made == per_label:
                break
            choices = label_choices(scenario, label)
            for _ in range(200):
                slots = sample_slots(rng, scenario)
                premise, hyps = rng.choice(choices)
                hypothesis = rng.choice(hyps)
                pair = render(scenario, slots, premise, hypothesis, "en")
                if pair not in seen_pairs and pair[0] not in banned_premises:
                    seen_pairs.add(pair)
                    items.append((scenario, slots, label, premise, hypothesis))
                    made += 1
                    break
        assert made == per_label, (label, made)
    rng.shuffle(items)
    return items


def build_nli() -> list[dict]:
    for scenario in SCENARIOS:  # every premise of every scenario supports every label
        sc = SCENARIOS[scenario]
        for codes, _ in sc["hypotheses"]:
            assert len(codes) == len(sc["premises"]) and set(codes) <= set("ENC-"), (scenario, codes)
        for p in range(len(sc["premises"])):
            assert {codes[p] for codes, _ in sc["hypotheses"]} >= set("ENC"), (scenario, p)
    rng = random.Random(SEED)
    seen_pairs: set = set()
    eval_items = {}
    for split in ("dev", "test"):  # parallel: one item, rendered in every language
        eval_items[split] = sample_nli_items(rng, NLI_SIZES[split] // 3, seen_pairs, set())
    eval_premises = {render(sc, sl, p, h, "en")[0] for items in eval_items.values() for sc, sl, _, p, h in items}
    train_items = sample_nli_items(rng, NLI_SIZES["train"] // 3, seen_pairs, eval_premises)
    rows = []
    for split, langs, items in (("train", ("en",), train_items), ("dev", LANGS, eval_items["dev"]),
                                ("test", LANGS, eval_items["test"])):
        for lang in langs:
            for index, (scenario, slots, label, p, h) in enumerate(items):
                premise, hypothesis = render(scenario, slots, p, h, lang)
                rows.append(dict(language=lang, split=split, index=index, premise=premise, hypothesis=hypothesis,
                                 label=label))
    for row in rows:
        for key in ("premise", "hypothesis"):
            assert 2 <= len(row[key].split()) <= 20, row
    return rows


# ---------------------------------------------------------------------------------------------------
# Sentiment: English reviews. Both labels share the same frames (negation, "expected ... but",
# "despite", contrast), so that the label depends on how the words combine, not on one keyword.
# ---------------------------------------------------------------------------------------------------
DOMAINS = {
    "film": {
        "items": ["the film", "this movie", "the new thriller", "the documentary", "the sequel", "this comedy",
                  "the animated film", "the period drama"],
        "aspects": ["acting", "plot", "soundtrack", "ending", "dialogue", "camera work", "pacing", "script"],
        "minor_minus": ["a slow start", "a few silly jokes", "the long running time", "a confusing first scene"],
        "minor_plus": ["a strong cast", "a good soundtrack", "some beautiful scenery", "a clever opening"],
        "again": "watch",
    },
    "restaurant": {
        "items": ["the restaurant", "this café", "the pizza place", "the new bistro", "the sushi bar",
                  "this little diner", "the steakhouse", "the vegan place"],
        "aspects": ["food", "service", "pasta", "dessert", "coffee", "wine list", "soup", "staff"],
        "minor_minus": ["a short wait", "the noisy room", "the small tables", "a slightly late order"],
        "minor_plus": ["friendly staff", "a nice view", "the low prices", "a cosy room"],
        "again": "eat at",
    },
    "product": {
        "items": ["this headset", "this phone", "the vacuum cleaner", "this kettle", "the backpack", "the laptop",
                  "this blender", "the electric toothbrush"],
        "aspects": ["battery", "sound", "build quality", "design", "screen", "manual", "packaging", "motor"],
        "minor_minus": ["a slightly high price", "the plain packaging", "a confusing manual", "a slow delivery"],
        "minor_plus": ["a nice design", "the low price", "fast delivery", "a long warranty"],
        "again": "buy",
    },
}
POS_ADJ = ["great", "excellent", "wonderful", "superb", "fantastic", "lovely", "brilliant", "impressive",
           "delightful", "outstanding"]
NEG_ADJ = ["terrible", "awful", "disappointing", "dull", "poor", "mediocre", "dreadful", "forgettable",
           "frustrating", "weak"]
NEGATABLE_NEG = ["bad", "boring", "disappointing", "awful", "a letdown", "a waste of money"]  # "not X at all" -> +
NEGATABLE_POS = ["good", "worth it", "enjoyable", "impressive", "special", "worth the money"]  # "not X at all" -> -
MILD_NEG = ["a bit weak", "not perfect", "a little uneven", "slightly disappointing", "nothing special"]
MILD_POS = ["quite nice", "decent enough", "pleasant", "fine", "rather good"]
REALLY = ["really", "truly", "absolutely", "genuinely", "simply", "quite honestly"]

SENTIMENT_TEMPLATES = {
    "positive": [
        "{Item} was {really} {pos}.",
        "The {aspect} was {pos} and the {aspect2} was even better.",
        "Honestly, {item} was not {nneg} at all.",
        "I expected {item} to be {nneg}, but it was {pos}.",
        "I have no complaints at all about the {aspect}.",
        "Despite {minor_minus}, {item} was {pos}.",
        "I would happily {again} {item} again.",
        "{Item} did not disappoint; the {aspect} was {pos}.",
        "I can't think of anything bad about {item}.",
        "At first I was not sure, but {item} won me over.",
        "The {aspect} was {mild_neg}, but overall {item} was {pos}.",
        "Not bad at all: {item} was better than I had hoped.",
        "I would recommend {item} to anyone.",
        "Nothing about the {aspect} was {neg}; it was {pos}.",
    ],
    "negative": [
        "{Item} was {really} {neg}.",
        "The {aspect} was {neg} and the {aspect2} was even worse.",
        "Honestly, {item} was not {npos} at all.",
        "I expected {item} to be {pos}, but it was {neg}.",
        "I have nothing good to say about the {aspect}.",
        "Despite {minor_plus}, {item} was {neg}.",
        "I would never {again} {item} again.",
        "{Item} did not live up to the hype; the {aspect} was {neg}.",
        "I can't think of anything good about {item}.",
        "At first I liked it, but {item} soon became a letdown.",
        "The {aspect} was {mild_pos}, but overall {item} was {neg}.",
        "Not good at all: {item} was worse than I had feared.",
        "I would not recommend {item} to anyone.",
        "Nothing about the {aspect} was {pos}; it was {neg}.",
    ],
}


def _sentiment_text(rng: random.Random, template: str) -> str:
    domain = DOMAINS[rng.choice(sorted(DOMAINS))]
    aspect, aspect2 = rng.sample(domain["aspects"], 2)
    item = rng.choice(domain["items"])
    values = dict(
        item=item, Item=item[0].upper() + item[1:], aspect=aspect, aspect2=aspect2, really=rng.choice(REALLY),
        pos=rng.choice(POS_ADJ), neg=rng.choice(NEG_ADJ), nneg=rng.choice(NEGATABLE_NEG),
        npos=rng.choice(NEGATABLE_POS), mild_neg=rng.choice(MILD_NEG), mild_pos=rng.choice(MILD_POS),
        minor_minus=rng.choice(domain["minor_minus"]), minor_plus=rng.choice(domain["minor_plus"]),
        again=domain["again"],
    )
    return _fill(template, values)


def build_sentiment() -> list[dict]:
    rng = random.Random(SEED + 1)
    seen: set = set()
    rows = []
    for split in ("train", "dev"):
        items = []
        for label in ("negative", "positive"):
            templates = SENTIMENT_TEMPLATES[label]
            for k in range(SENTIMENT_SIZES[split] // 2):
                template = templates[k % len(templates)]
                for _ in range(500):
                    text = _sentiment_text(rng, template)
                    if text not in seen:
                        break
                else:
                    raise AssertionError(f"could not find a new text for {template!r}")
                seen.add(text)
                items.append((text, label))
        rng.shuffle(items)
        for index, (text, label) in enumerate(items):
            rows.append(dict(language="en", split=split, index=index, text=text, label=label))
    return rows


def write_jsonl(path: Path, rows: list[dict]) -> None:
    with open(path, "w", encoding="utf-8", newline="\n") as handle:
        for row in rows:
            handle.write(json.dumps(row, ensure_ascii=False, sort_keys=True) + "\n")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="folder to write into (default: %(default)s)")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    for name, rows in ((NLI_FILE, build_nli()), (SENTIMENT_FILE, build_sentiment())):
        path = args.out / name
        write_jsonl(path, rows)
        print(f"wrote {path} ({len(rows)} rows, {path.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
