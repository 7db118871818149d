"""The Chinese (CLUE) samples' generators, registered together in __main__."""
from __future__ import annotations

from .afqmc import gen_afqmc
from .chnsenticorp import gen_chnsenticorp
from .cluener import gen_cluener
from .cmrc2018 import gen_cmrc2018
from .tnews import gen_tnews

CLUE_GENERATORS = {"tnews": gen_tnews, "afqmc": gen_afqmc, "chnsenticorp": gen_chnsenticorp,
                   "cluener": gen_cluener, "cmrc2018": gen_cmrc2018}
