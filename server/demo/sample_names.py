"""Name data for the sample conference: countries, people's names, organisation name parts.

Plain data only, used by `server.demo.sample`. Per country: dialling code, languages (ISO 639-1),
a weight for how many organisations it sends, female and male first names, surnames
("male/female" where the form differs) and the regions and cities its clusters are named
after. All organisation names built from these parts are invented.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final


def _split(text: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in text.split(",") if part.strip())


@dataclass(frozen=True, slots=True)
class Country:
    code: str  # ISO 3166-1 alpha-2
    dial: str
    languages: tuple[str, ...]
    weight: int
    female: tuple[str, ...]
    male: tuple[str, ...]
    surnames: tuple[str, ...]  # "Novák/Nováková": male and female form
    places: tuple[str, ...]

    def surname(self, raw: str, female: bool) -> str:
        male_form, _, female_form = raw.partition("/")
        return (female_form or male_form) if female else male_form


def _c(code: str, dial: str, langs: str, weight: int, *parts: str) -> Country:
    female, male, surnames, places = parts
    return Country(
        code, dial, _split(langs), weight, _split(female), _split(male), _split(surnames),
        _split(places),
    )  # fmt: skip


COUNTRIES: Final[tuple[Country, ...]] = (
    _c("DE", "49", "de", 30,
       "Anna, Katharina, Julia, Sabine, Claudia, Petra, Stefanie, Lena, Monika, Jana, Birgit",
       "Jürgen, Thomas, Michael, Andreas, Stefan, Markus, Jonas, Matthias, Klaus, Tobias, Uwe",
       "Müller, Schmidt, Schneider, Fischer, Weber, Meyer, Wagner, Becker, Schulz, Hoffmann, "
       "Koch, Richter, Wolf, Schäfer, Bauer, Zimmermann, Krüger, Hartmann, Lange, Schröder",
       "Baden-Württemberg, Stuttgart, Neckar-Alb, Bavaria, Saxony, Rhine-Neckar, Hesse, "
       "Ruhr, Lower Saxony, Thuringia, Karlsruhe, Ulm, Hamburg, Brandenburg, Swabia"),
    _c("AT", "43", "de", 6,
       "Verena, Elisabeth, Theresa, Magdalena, Barbara, Sandra, Katrin",
       "Lukas, Florian, Wolfgang, Georg, Christoph, Bernhard, Herbert",
       "Gruber, Huber, Wagner, Pichler, Steiner, Moser, Mayer, Hofer, Leitner, Berger, "
       "Fuchs, Eder",
       "Styria, Upper Austria, Vienna, Tyrol, Salzburg, Carinthia, Lower Austria, Graz"),
    _c("CH", "41", "de, fr", 5,
       "Nicole, Daniela, Corinne, Andrea, Franziska, Laura, Seraina",
       "Reto, Urs, Beat, Lukas, Marco, Daniel, Adrian",
       "Meier, Keller, Brunner, Baumann, Frei, Gerber, Widmer, Schmid, Zürcher, Bühler, "
       "Kälin, Graf",
       "Zurich, Basel, Bern, Aargau, St. Gallen, Lucerne, Ticino, Romandie"),
    _c("FR", "33", "fr", 9,
       "Camille, Sophie, Claire, Élodie, Céline, Isabelle, Amélie, Hélène",
       "Julien, Thomas, Nicolas, François, Sébastien, Jérôme, Benoît, Mathieu",
       "Martin, Bernard, Dubois, Lefèvre, Moreau, Laurent, Girard, Rousseau, Fontaine, "
       "Mercier, Chevalier, Lambert, Faure, Dupont",
       "Auvergne-Rhône-Alpes, Occitanie, Grand Est, Brittany, Normandy, Hauts-de-France, "
       "Lyon, Toulouse, Grenoble, Bordeaux, Alsace, Franche-Comté"),
    _c("IT", "39", "it", 9,
       "Giulia, Francesca, Chiara, Elena, Valentina, Federica, Silvia",
       "Marco, Luca, Alessandro, Matteo, Giovanni, Davide, Niccolò",
       "Rossi, Russo, Ferrari, Esposito, Bianchi, Romano, Colombo, Ricci, Marino, Greco, "
       "Bruno, Galli, Conti, De Luca",
       "Lombardy, Piedmont, Emilia-Romagna, Veneto, Tuscany, Apulia, Turin, Friuli, Marche"),
    _c("ES", "34", "es", 8,
       "Lucía, María, Carmen, Laura, Marta, Elena, Nuria, Begoña",
       "Javier, Alejandro, Pablo, Sergio, Jorge, Íñigo, Andrés, Ramón",
       "García, Fernández, González, Rodríguez, López, Martínez, Sánchez, Pérez, Gómez, "
       "Ruiz, Jiménez, Navarro, Domínguez, Muñoz",
       "Catalonia, Basque Country, Andalusia, Valencia, Madrid, Aragon, Navarre, Galicia"),
    _c("PT", "351", "pt", 5,
       "Ana, Inês, Beatriz, Mariana, Catarina, Joana",
       "João, Tiago, Rui, Nuno, Pedro, Gonçalo",
       "Silva, Santos, Ferreira, Pereira, Oliveira, Costa, Rodrigues, Martins, Sousa, "
       "Gonçalves, Lopes, Carvalho",
       "Porto, Lisbon, Aveiro, Braga, Coimbra, Centro, Minho, Alentejo"),
    _c("NL", "31", "nl", 6,
       "Sanne, Lotte, Eva, Anouk, Femke, Marieke",
       "Daan, Bram, Joris, Pieter, Sander, Thijs",
       "de Jong, Jansen, de Vries, van den Berg, van Dijk, Bakker, Visser, Smit, Meijer, "
       "de Boer, Mulder, Bos",
       "Twente, Groningen, Delft, Rotterdam, Utrecht, Limburg, Gelderland, North Brabant"),
    _c("BE", "32", "nl, fr", 5,
       "Lien, Sofie, Elke, Marie, Charlotte, Nathalie",
       "Pieter, Wouter, Koen, Thomas, Maxime, Olivier",
       "Peeters, Janssens, Maes, Jacobs, Mertens, Willems, Claes, Goossens, Wouters, "
       "Dubois, Lambert, Dupont",
       "Flanders, Wallonia, Brussels, Ghent, Antwerp, Leuven, Liège, Hainaut"),
    _c("LU", "352", "lb, fr, de", 2,
       "Anne, Claudine, Michèle, Sandra, Carole",
       "Jean, Marc, Luc, Patrick, Yves",
       "Schmit, Muller, Weber, Wagner, Hoffmann, Thill, Kieffer, Reuter, Schroeder, Majerus",
       "Luxembourg, Esch-sur-Alzette, Belval, Greater Region"),
    _c("DK", "45", "da", 4,
       "Mette, Sofie, Line, Camilla, Anne, Louise",
       "Mads, Rasmus, Søren, Jesper, Anders, Mikkel",
       "Nielsen, Jensen, Hansen, Pedersen, Andersen, Christensen, Larsen, Sørensen, "
       "Rasmussen, Jørgensen, Madsen, Kristensen",
       "Aarhus, Odense, Aalborg, Copenhagen, Zealand, Jutland, Funen"),
    _c("SE", "46", "sv", 5,
       "Elin, Sara, Karin, Emma, Maja, Johanna",
       "Erik, Lars, Anders, Johan, Magnus, Björn",
       "Andersson, Johansson, Karlsson, Nilsson, Eriksson, Larsson, Olsson, Persson, "
       "Svensson, Gustafsson, Lindqvist, Bergström",
       "Gothenburg, Skåne, Västra Götaland, Uppsala, Linköping, Malmö, Norrland"),
    _c("FI", "358", "fi, sv", 4,
       "Aino, Laura, Johanna, Riikka, Sanna, Elina",
       "Mikko, Jukka, Antti, Juha, Ville, Timo",
       "Korhonen, Virtanen, Mäkinen, Nieminen, Mäkelä, Hämäläinen, Laine, Heikkinen, "
       "Koskinen, Järvinen, Lehtonen, Salminen",
       "Tampere, Oulu, Turku, Espoo, Lahti, Jyväskylä, Uusimaa"),
    _c("NO", "47", "no", 3,
       "Ingrid, Kari, Silje, Marte, Hanne, Ida",
       "Ola, Håkon, Eirik, Lars, Magnus, Sindre",
       "Hansen, Johansen, Olsen, Larsen, Andersen, Nilsen, Kristiansen, Berg, Haugen, "
       "Hagen, Dahl, Solberg",
       "Trondheim, Bergen, Stavanger, Oslo, Kongsberg, Vestland, Agder"),
    _c("PL", "48", "pl", 8,
       "Katarzyna, Agnieszka, Magdalena, Małgorzata, Joanna, Aleksandra, Ewa",
       "Piotr, Krzysztof, Tomasz, Paweł, Michał, Łukasz, Grzegorz",
       "Nowak, Kowalski/Kowalska, Wiśniewski/Wiśniewska, Wójcik, Kamiński/Kamińska, "
       "Lewandowski/Lewandowska, Zieliński/Zielińska, Szymański/Szymańska, Woźniak, "
       "Dąbrowski/Dąbrowska, Kozłowski/Kozłowska, Mazur",
       "Silesia, Lower Silesia, Greater Poland, Pomerania, Lesser Poland, Łódź, Wrocław, "
       "Poznań, Gdańsk"),
    _c("CZ", "420", "cs", 6,
       "Kateřina, Lucie, Petra, Tereza, Jana, Markéta",
       "Jiří, Tomáš, Martin, Petr, Ondřej, Lukáš",
       "Novák/Nováková, Svoboda/Svobodová, Novotný/Novotná, Dvořák/Dvořáková, "
       "Černý/Černá, Procházka/Procházková, Kučera/Kučerová, Veselý/Veselá, "
       "Horák/Horáková, Němec/Němcová, Marek/Marková, Pokorný/Pokorná",
       "Moravia, Bohemia, Brno, Ostrava, Pilsen, Liberec, Prague, Zlín"),
    _c("SK", "421", "sk", 4,
       "Zuzana, Lucia, Martina, Katarína, Jana, Andrea",
       "Peter, Martin, Juraj, Marek, Michal, Ján",
       "Horváth/Horváthová, Kováč/Kováčová, Varga/Vargová, Tóth/Tóthová, Nagy/Nagyová, "
       "Baláž/Balážová, Molnár/Molnárová, Lukáč/Lukáčová, Polák/Poláková, "
       "Kollár/Kollárová, Šimko/Šimková, Gajdoš/Gajdošová",
       "Bratislava, Košice, Žilina, Trnava, Nitra, Banská Bystrica"),
    _c("HU", "36", "hu", 5,
       "Eszter, Katalin, Zsófia, Anna, Réka, Judit",
       "László, Gábor, Zoltán, Péter, Balázs, Attila",
       "Nagy, Kovács, Tóth, Szabó, Horváth, Varga, Kiss, Molnár, Németh, Farkas, Balogh, Papp",
       "Győr, Debrecen, Szeged, Pécs, Budapest, Pannonia, Miskolc"),
    _c("SI", "386", "sl", 4,
       "Maja, Nina, Eva, Tjaša, Špela, Urška",
       "Luka, Matej, Rok, Žiga, Primož, Gregor",
       "Novak, Horvat, Kovačič, Krajnc, Zupančič, Potočnik, Kovač, Mlakar, Kos, Vidmar, "
       "Golob, Turk",
       "Ljubljana, Maribor, Celje, Gorenjska, Primorska, Novo Mesto"),
    _c("HR", "385", "hr", 3,
       "Ivana, Ana, Marija, Petra, Maja, Lucija",
       "Ivan, Marko, Luka, Tomislav, Josip, Hrvoje",
       "Horvat, Kovačević, Babić, Marić, Jurić, Novak, Knežević, Vuković, Marković, "
       "Petrović, Matić, Pavlović",
       "Zagreb, Split, Rijeka, Osijek, Istria, Dalmatia, Slavonia"),
    _c("RO", "40", "ro", 5,
       "Andreea, Ioana, Elena, Maria, Alexandra, Cristina",
       "Andrei, Mihai, Alexandru, Ionuț, Bogdan, Răzvan",
       "Popescu, Ionescu, Popa, Stan, Dumitru, Constantin, Stoica, Munteanu, Gheorghe, "
       "Rusu, Matei, Ștefănescu",
       "Cluj, Timișoara, Iași, Brașov, Bucharest, Transylvania, Banat, Sibiu"),
    _c("BG", "359", "bg", 3,
       "Maria, Elena, Desislava, Ivelina, Gergana, Yana",
       "Georgi, Dimitar, Ivan, Nikolay, Stoyan, Hristo",
       "Ivanov/Ivanova, Georgiev/Georgieva, Dimitrov/Dimitrova, Petrov/Petrova, "
       "Nikolov/Nikolova, Stoyanov/Stoyanova, Todorov/Todorova, Hristov/Hristova, "
       "Kolev/Koleva, Angelov/Angelova",
       "Sofia, Plovdiv, Varna, Ruse, Burgas, Stara Zagora"),
    _c("GR", "30", "el", 4,
       "Maria, Eleni, Katerina, Sofia, Dimitra, Georgia",
       "Georgios, Dimitris, Nikos, Konstantinos, Yannis, Panagiotis",
       "Papadopoulos/Papadopoulou, Georgiou, Nikolaidis/Nikolaidou, Papadakis, "
       "Vlachos/Vlachou, Oikonomou, Karagiannis/Karagianni, Antoniou, Makris/Makri, "
       "Pappas/Pappa, Christodoulou, Alexiou",
       "Attica, Thessaloniki, Patras, Crete, Central Macedonia, Thessaly, Ioannina"),
    _c("CY", "357", "el", 2,
       "Andri, Christina, Eleni, Maria, Despina",
       "Andreas, Christos, Michalis, Marios, Kyriakos, Stelios",
       "Georgiou, Charalambous, Constantinou, Ioannou, Kyriacou, Christodoulou, Demetriou, "
       "Hadjipetrou, Panayiotou",
       "Nicosia, Limassol, Larnaca, Paphos"),
    _c("MT", "356", "mt", 2,
       "Maria, Rebecca, Claire, Sarah, Marija",
       "Joseph, Mark, Matthew, Luke, Karl",
       "Borg, Camilleri, Vella, Farrugia, Zammit, Galea, Micallef, Grech, Attard, Spiteri, "
       "Azzopardi, Caruana",
       "Valletta, Gozo, Mosta, Birkirkara, Malta"),
    _c("EE", "372", "et", 2,
       "Kadri, Triin, Liis, Kristiina, Merle, Piret",
       "Tõnu, Mart, Rein, Andres, Priit, Jaan",
       "Tamm, Saar, Sepp, Mägi, Kask, Kukk, Rebane, Ilves, Pärn, Koppel, Lepik, Kallas",
       "Tallinn, Tartu, Pärnu, Narva, Harju, Ida-Viru"),
    _c("LV", "371", "lv", 2,
       "Līga, Ilze, Kristīne, Inese, Dace, Anna",
       "Jānis, Andris, Mārtiņš, Edgars, Kārlis, Raimonds",
       "Bērziņš/Bērziņa, Kalniņš/Kalniņa, Ozoliņš/Ozoliņa, Jansons/Jansone, Ozols/Ozola, "
       "Liepiņš/Liepiņa, Krūmiņš/Krūmiņa, Balodis/Balode, Eglītis/Eglīte, Zariņš/Zariņa, "
       "Pētersons/Pētersone, Vītols/Vītola",
       "Riga, Kurzeme, Vidzeme, Latgale, Jelgava, Ventspils, Zemgale"),
    _c("LT", "370", "lt", 3,
       "Rūta, Indrė, Eglė, Aušra, Jurgita, Gintarė",
       "Tomas, Mindaugas, Darius, Andrius, Jonas, Vytautas",
       "Kazlauskas/Kazlauskienė, Jankauskas/Jankauskienė, Petrauskas/Petrauskienė, "
       "Stankevičius/Stankevičienė, Vasiliauskas/Vasiliauskienė, Žukauskas/Žukauskienė, "
       "Butkus/Butkienė, Paulauskas/Paulauskienė, Urbonas/Urbonienė",
       "Vilnius, Kaunas, Klaipėda, Šiauliai, Panevėžys"),
    _c("IE", "353", "ga", 3,
       "Aoife, Siobhán, Niamh, Orla, Sinéad, Ciara",
       "Seán, Ciarán, Declan, Eoin, Pádraig, Conor",
       "Murphy, Kelly, O'Sullivan, Walsh, O'Brien, Byrne, Ryan, O'Connor, O'Neill, Doyle, "
       "McCarthy, Gallagher",
       "Cork, Galway, Limerick, Dublin, Munster, Connacht, Shannon"),
    _c("TR", "90", "tr", 5,
       "Ayşe, Elif, Zeynep, Fatma, Özlem, Derya, Gül",
       "Mehmet, Mustafa, Emre, Burak, Murat, Serkan, Oğuz",
       "Yılmaz, Kaya, Demir, Şahin, Çelik, Yıldız, Yıldırım, Öztürk, Aydın, Özdemir, "
       "Arslan, Doğan, Kılıç, Aslan",
       "Istanbul, Ankara, Izmir, Bursa, Kocaeli, Gaziantep, Eskişehir, Konya"),
)  # fmt: skip

# Sector tag -> words an organisation name may use for it.
SECTORS: Final[dict[str, tuple[str, ...]]] = {
    "Automotive": ("Automotive", "Mobility", "E-Mobility", "Vehicle"),
    "Biotechnology": ("Biotech", "Life Sciences", "BioEconomy"),
    "Microsystems": ("Microsystems", "Microtech", "Sensor"),
    "IT": ("IT", "Digital", "Software", "ICT"),
    "Smart Production": ("Smart Production", "Industry 4.0", "Manufacturing", "Mechatronics"),
    "Energy": ("Energy", "Hydrogen", "Cleantech", "Renewables"),
    "Aerospace": ("Aerospace", "Aviation", "Space"),
    "Health": ("Health", "MedTech", "Health Industries"),
    "Photonics": ("Photonics", "Optics", "Laser"),
    "Materials": ("Materials", "Composites", "Plastics"),
    "Logistics": ("Logistics", "Supply Chain"),
    "Agrifood": ("Agrifood", "Food"),
    "Maritime": ("Maritime", "Blue Economy"),
    "Creative Industries": ("Creative Industries", "Design"),
}

# Organisation name patterns: {s} = sector word, {p} = region or city.
ORG_PATTERNS: Final[tuple[str, ...]] = (
    "{s} Cluster {p}",
    "{p} {s} Cluster",
    "{s} Network {p}",
    "{p} {s} Alliance",
    "{p} {s} Hub",
    "{s} Innovation Cluster {p}",
    "{p} Cluster for {s}",
    "{s} Competence Network {p}",
    "{p} {s} Association",
    "{s} Platform {p}",
    "{p} {s} Forum",
    "{s} Valley {p}",
)

TITLES: Final[tuple[str, ...]] = (
    "Cluster Manager",
    "Managing Director",
    "Project Manager",
    "Head of International Cooperation",
    "International Project Manager",
    "Innovation Manager",
    "Business Development Manager",
    "Head of Cluster Management",
    "EU Project Coordinator",
    "Network Manager",
    "Internationalisation Manager",
    "Senior Consultant",
)

# Letters that Unicode decomposition does not reduce to ASCII.
ASCII_FOLD: Final[dict[str, str]] = {
    "ß": "ss", "ł": "l", "ø": "o", "æ": "ae", "œ": "oe", "đ": "d", "ı": "i", "þ": "th",
}  # fmt: skip
# Germanic spelling of umlauts in addresses (Müller -> mueller).
UMLAUT_FOLD: Final[dict[str, str]] = {"ä": "ae", "ö": "oe", "ü": "ue"}
UMLAUT_COUNTRIES: Final = frozenset({"DE", "AT", "CH", "LU"})
LANDLOCKED: Final = frozenset({"AT", "CH", "CZ", "SK", "HU", "LU"})  # no maritime clusters
