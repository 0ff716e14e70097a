"""What every part of the generator draws with: a random number of days, the history's span, and the units."""

import datetime
import random
from decimal import Decimal

HISTORY_YEARS = 3
DAY = datetime.timedelta(days=1)
CENT = Decimal("0.01")
ZERO = Decimal("0.00")


def random_days(rng: random.Random, low: int, high: int) -> datetime.timedelta:
    return datetime.timedelta(days=rng.randint(low, high))
