"""The CLI's training progress (gan_core.cli.common.ProgressBar): a live tqdm bar on a terminal,
a plain line every 10 s in a log or a pipe, the trainer's own numbers in both."""
from __future__ import annotations

import io

from gan_core.cli import common
from gan_core.cli.common import ProgressBar
from gan_core.training.trainer_report import Progress

NUMBERS = "step 40/100 ep 1.2 123 img/s D 0.512 G 0.731 ETA 1:15"


def report(kind: str = "step", step: int = 40, message: str = "") -> Progress:
    return Progress(kind=kind, step=step, total_steps=100, epoch=1.25, seconds=30.0, images_per_second=123.4,
                    eta_seconds=75.0, fraction=step / 100, loss_d=0.5123, loss_g=0.7311, message=message)


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_log_gets_a_plain_line_every_10_seconds(monkeypatch):
    clock = [1000.0]
    monkeypatch.setattr(common.time, "monotonic", lambda: clock[0])
    out = io.StringIO()
    bar = ProgressBar(out)
    bar(report("start", message="training on cpu"))
    bar(report(step=40))
    clock[0] += 3
    bar(report(step=50))  # 3 s after the last line: none
    clock[0] += 8
    bar(report(step=60))  # 11 s: a line
    bar(report("done", step=100))  # the end always gets one
    text = out.getvalue()
    lines = text.splitlines()
    assert "\r" not in text and "\x1b" not in text  # nothing a log file cannot show
    assert lines == ["[start] training on cpu",
                     f"[#########...............]  40.0% {NUMBERS}",
                     f"[##############..........]  60.0% {NUMBERS.replace('step 40', 'step 60')}",
                     f"[########################] 100.0% {NUMBERS.replace('step 40', 'step 100')}"]


def test_a_terminal_gets_a_live_bar_with_the_messages_above_it():
    out = Terminal()
    bar = ProgressBar(out)
    bar(report("start", message="training on cpu"))
    bar(report(step=40))
    bar(report("checkpoint", step=50, message="checkpoint at step 50"))
    bar(report(step=60))
    bar(report("done", step=100))
    text = out.getvalue()
    assert text.startswith("[start] training on cpu\n")
    assert "\r" in text  # redrawn in place
    assert f"{NUMBERS}  40% |" in text
    assert "[checkpoint] checkpoint at step 50\n" in text
    assert NUMBERS.replace("step 40", "step 60") + "  60% |" in text
    assert NUMBERS.replace("step 40", "step 100") + " 100% |" in text
    assert text.endswith("\n") and bar.bar is None  # closed: the shell prompt starts on a new line
