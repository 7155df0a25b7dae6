"""The reincarnation server: restart a dead sensor, with backoff, and quarantine bad content.

After MINIX 3's `rs` (servers/rs): the first unexpected exit of a server is
answered by an immediate restart; after that the server waits
`1 << restarts` periods (capped at 30) before it is started again, so a
server that dies on every start does not eat the machine. The cause is
kept (`crash`, or `no-reply` for a missed AUTH deadline), as MINIX passes
it to recovery scripts.

One addition for content-driven crashes: if the sensor died K times while
interpreting the same channel file, that file is quarantined and the sensor
restarts on the content that is left -- the last known good. Used by the
microkernel model. Policy only: it acts through the model services.
"""
from __future__ import annotations

from collections import Counter

PERIOD_SECONDS = 1            # MINIX: one period is a second
BACKOFF_CAP_PERIODS = 30
QUARANTINE_AFTER = 2          # K: crashes on one content file before it is quarantined


def restart_backoff(restarts: int) -> int:
    """Periods to wait before restart number `restarts` + 1 (0: at once)."""
    return 0 if restarts == 0 else min(1 << restarts, BACKOFF_CAP_PERIODS)


class ReincarnationServer:
    """Watches the sensor server and brings it back."""

    def __init__(self, quarantine_after: int = QUARANTINE_AFTER) -> None:
        self.quarantine_after = quarantine_after
        self.crashes_by_file: Counter[str] = Counter()
        self.backoff_log: list[int] = []          # periods waited before each restart

    def on_death(self, death, services) -> None:
        """The sensor died (death.cause) while interpreting death.file (None if unknown)."""
        file = death.file
        if file is not None:
            self.crashes_by_file[file] += 1
            if self.crashes_by_file[file] >= self.quarantine_after:
                target = services.quarantine(file)
                if target is not None:
                    services.log(f"rs: {file} crashed the sensor {self.crashes_by_file[file]} times: quarantined "
                                 f"to {target}; restarting on the last known good content")
        periods = restart_backoff(death.restarts)
        self.backoff_log.append(periods)
        when = "at once" if periods == 0 else f"in {periods * PERIOD_SECONDS} s (backoff)"
        services.log(f"rs: sensor died ({death.cause}); restart {death.restarts + 1} {when}")
        services.after(periods * PERIOD_SECONDS, services.restart_sensor)
