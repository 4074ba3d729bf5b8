"""The speed layer's one switch. ``IJBRIEF_ACCEL=0`` in the environment, or ``ijbrief build
--no-accel``, turns off what ijbrief does only for speed by reaching into how Python or another
library runs: the cycle collector paused while a corpus is read and a build plans, and frozen
over what a build keeps (``heap``). Every output comes out byte for byte the same either way;
turn it off to tell whether a fault lies in the speed layer, or after an upgrade it has not
been tested with."""

from __future__ import annotations

import os

ENVIRONMENT = "IJBRIEF_ACCEL"


def enabled() -> bool:
    """Whether the speed layer is on (the default); read each time, so that a process can turn
    it off for itself and the workers it starts."""
    return os.environ.get(ENVIRONMENT, "1").strip() != "0"


def turn_off() -> None:
    """Off for this process and every process it starts from now on."""
    os.environ[ENVIRONMENT] = "0"
