"""The demo's fixed inputs: its seed, its date, the demo users' password, and the case study's figures.

Figures from the case study: 700+ coffee members in Cusco and Junín farming 3,000+ ha and producing an
estimated 26,800 bags (69 kg) a year; 400+ cocoa members in San Martín and Huánuco; the Lutheran World
Relief alliance (February 2012, Huánuco, 500 cocoa farmers certified, 1,000 beneficiaries); ECOM Peru - SMS
(400 cocoa farmers) and its primary school for 200 children in Juan Velasco Alvarado.
"""

import datetime
from decimal import Decimal

SEED = 2012
DEMO_PASSWORD = "cafe-cacao-2026"
# The demo depicts the cooperative in late November 2026.
DEMO_DATE = datetime.date(2026, 11, 29)
COFFEE_BAGS_69KG = 26_800
COFFEE_TOTAL_KG = Decimal(COFFEE_BAGS_69KG * 69)
TWO_PLACES = Decimal("0.01")
