"""Country cells of an import: an ISO 3166 code, or an English (or common local) name.

Pure: `country_code` returns the two-letter code or raises ValueError with the reason,
which the importer reports with the row and column (server/core/import_plan.py).
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any, Final

from server.core.import_fields import text


def country_code(value: Any) -> str:
    s = text(value)
    if not s:
        return ""
    if len(s) == 2 and s.upper() in _CODES:
        return s.upper()
    name = _norm_country(s)
    code = _BY_NAME.get(name) or _BY_NAME.get(name.split(",")[0].strip())
    if code is None:
        raise ValueError(
            f"{s!r} is not a known country: use an ISO 3166 code such as DE or an English "
            "name such as Germany"
        )
    return code


def _norm_country(name: str) -> str:
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().casefold()
    plain = re.sub(r"[^a-z0-9,]+", " ", plain.replace("&", " and ").replace("'", ""))
    return re.sub(r"^the ", "", " ".join(plain.split()).replace(" ,", ","))


# ISO 3166-1 alpha-2 codes with their English short names, then common other names.
_COUNTRIES: Final = """
AD Andorra|AE United Arab Emirates|AF Afghanistan|AG Antigua and Barbuda|AI Anguilla
AL Albania|AM Armenia|AO Angola|AQ Antarctica|AR Argentina|AS American Samoa|AT Austria
AU Australia|AW Aruba|AX Aland Islands|AZ Azerbaijan|BA Bosnia and Herzegovina|BB Barbados
BD Bangladesh|BE Belgium|BF Burkina Faso|BG Bulgaria|BH Bahrain|BI Burundi|BJ Benin
BL Saint Barthelemy|BM Bermuda|BN Brunei|BO Bolivia|BQ Bonaire, Sint Eustatius and Saba
BR Brazil|BS Bahamas|BT Bhutan|BV Bouvet Island|BW Botswana|BY Belarus|BZ Belize|CA Canada
CC Cocos Islands|CD Democratic Republic of the Congo|CF Central African Republic|CG Congo
CH Switzerland|CI Cote d'Ivoire|CK Cook Islands|CL Chile|CM Cameroon|CN China|CO Colombia
CR Costa Rica|CU Cuba|CV Cabo Verde|CW Curacao|CX Christmas Island|CY Cyprus|CZ Czechia
DE Germany|DJ Djibouti|DK Denmark|DM Dominica|DO Dominican Republic|DZ Algeria|EC Ecuador
EE Estonia|EG Egypt|EH Western Sahara|ER Eritrea|ES Spain|ET Ethiopia|FI Finland|FJ Fiji
FK Falkland Islands|FM Micronesia|FO Faroe Islands|FR France|GA Gabon|GB United Kingdom
GD Grenada|GE Georgia|GF French Guiana|GG Guernsey|GH Ghana|GI Gibraltar|GL Greenland
GM Gambia|GN Guinea|GP Guadeloupe|GQ Equatorial Guinea|GR Greece|GT Guatemala|GU Guam
GS South Georgia and the South Sandwich Islands|GW Guinea-Bissau|GY Guyana|HK Hong Kong
HM Heard Island and McDonald Islands|HN Honduras|HR Croatia|HT Haiti|HU Hungary|ID Indonesia
IE Ireland|IL Israel|IM Isle of Man|IN India|IO British Indian Ocean Territory|IQ Iraq
IR Iran|IS Iceland|IT Italy|JE Jersey|JM Jamaica|JO Jordan|JP Japan|KE Kenya|KG Kyrgyzstan
KH Cambodia|KI Kiribati|KM Comoros|KN Saint Kitts and Nevis|KP North Korea|KR South Korea
KW Kuwait|KY Cayman Islands|KZ Kazakhstan|LA Laos|LB Lebanon|LC Saint Lucia
LI Liechtenstein|LK Sri Lanka|LR Liberia|LS Lesotho|LT Lithuania|LU Luxembourg|LV Latvia
LY Libya|MA Morocco|MC Monaco|MD Moldova|ME Montenegro|MF Saint Martin|MG Madagascar
MH Marshall Islands|MK North Macedonia|ML Mali|MM Myanmar|MN Mongolia|MO Macao
MP Northern Mariana Islands|MQ Martinique|MR Mauritania|MS Montserrat|MT Malta|MU Mauritius
MV Maldives|MW Malawi|MX Mexico|MY Malaysia|MZ Mozambique|NA Namibia|NC New Caledonia
NE Niger|NF Norfolk Island|NG Nigeria|NI Nicaragua|NL Netherlands|NO Norway|NP Nepal
NR Nauru|NU Niue|NZ New Zealand|OM Oman|PA Panama|PE Peru|PF French Polynesia
PG Papua New Guinea|PH Philippines|PK Pakistan|PL Poland|PM Saint Pierre and Miquelon
PN Pitcairn|PR Puerto Rico|PS Palestine|PT Portugal|PW Palau|PY Paraguay|QA Qatar
RE Reunion|RO Romania|RS Serbia|RU Russia|RW Rwanda|SA Saudi Arabia|SB Solomon Islands
SC Seychelles|SD Sudan|SE Sweden|SG Singapore|SH Saint Helena|SI Slovenia
SJ Svalbard and Jan Mayen|SK Slovakia|SL Sierra Leone|SM San Marino|SN Senegal|SO Somalia
SR Suriname|SS South Sudan|ST Sao Tome and Principe|SV El Salvador|SX Sint Maarten|SY Syria
SZ Eswatini|TC Turks and Caicos Islands|TD Chad|TF French Southern Territories|TG Togo
TH Thailand|TJ Tajikistan|TK Tokelau|TL Timor-Leste|TM Turkmenistan|TN Tunisia|TO Tonga
TR Turkiye|TT Trinidad and Tobago|TV Tuvalu|TW Taiwan|TZ Tanzania|UA Ukraine|UG Uganda
UM United States Minor Outlying Islands|US United States|UY Uruguay|UZ Uzbekistan
VA Holy See|VC Saint Vincent and the Grenadines|VE Venezuela|VG British Virgin Islands
VI U.S. Virgin Islands|VN Vietnam|VU Vanuatu|WF Wallis and Futuna|WS Samoa|XK Kosovo
YE Yemen|YT Mayotte|ZA South Africa|ZM Zambia|ZW Zimbabwe
GB UK|GB Great Britain|GB Britain|GB England|GB Scotland|GB Wales|GB Northern Ireland
US USA|US United States of America|US America|CZ Czech Republic|TR Turkey|NL Holland
RU Russian Federation|KR Korea|KR Republic of Korea|KP Korea, Democratic People's Republic of
CI Ivory Coast|CV Cape Verde|SZ Swaziland|MK Macedonia|MM Burma|VA Vatican|VA Vatican City
CD DR Congo|CD DRC|CG Republic of the Congo|TL East Timor|BN Brunei Darussalam|LA Lao PDR
SY Syrian Arab Republic|VN Viet Nam|MD Republic of Moldova|BA Bosnia|GR EL|PS State of Palestine
DE Deutschland|AT Osterreich|CH Schweiz|CH Suisse|ES Espana|IT Italia|PL Polska|NL Nederland
CZ Cesko|SE Sverige|FR Republique francaise|US U.S.|US U.S.A.|GB U.K.
"""
_PAIRS: Final = [
    (entry[:2], entry[3:]) for line in _COUNTRIES.strip().splitlines() for entry in line.split("|")
]
_CODES: Final = frozenset(code for code, _ in _PAIRS)
_BY_NAME: Final = {_norm_country(name): code for code, name in _PAIRS}
