"""What a study learned, drawn in a process of its own (trackbench.sweeps.learned_drawing): the
same files, byte for byte, as drawn in-process; a failure is a warning, never an error."""

from __future__ import annotations

from trackbench.sweeps import learned_drawing
from trackbench.sweeps.tuning.learned import write_learned
from trackbench.sweeps.tuning.location import LEARNED_NOTE

from .sweeps.tuning.test_learned import filled


def test_the_process_draws_what_the_driver_would(tmp_path, capfd):
    study = filled(tmp_path)
    write_learned(study, ("idf1",), tmp_path / "here", "study s")
    (tmp_path / "there").mkdir()
    (tmp_path / "there" / "stale.png").write_bytes(b"from an earlier session")
    learned_drawing.start(study.spec, ("idf1",), tmp_path / "there", "study s")
    learned_drawing.finish(tmp_path / "there")
    assert capfd.readouterr().err == "", "the process says nothing when all goes well"
    here = {p.name: p.read_bytes() for p in (tmp_path / "here").iterdir()}
    there = {p.name: p.read_bytes() for p in (tmp_path / "there").iterdir()}
    assert sorted(there) == ["history.png", "importance.csv", "importance.png", "slice.png", LEARNED_NOTE]
    assert there == here
    assert there[LEARNED_NOTE].decode().startswith("x explains")
    learned_drawing.finish(tmp_path / "there")  # nothing left to wait for


def test_a_drawing_that_fails_is_a_warning(tmp_path, capfd):
    study = filled(tmp_path)
    folder = tmp_path / "no" / "such"
    (tmp_path / "no").write_text("a file where the folder's parent should be")
    learned_drawing.start(study.spec, ("idf1",), folder, "study s")
    learned_drawing.finish(folder)  # no exception
    err = capfd.readouterr().err
    assert err.startswith("what the study learned could not be drawn: ") and len(err.splitlines()) == 1, err
    assert not folder.exists()


def test_a_prepared_process_draws_the_same_files(tmp_path, capfd):
    """Started ahead (its imports done while the study runs), the process draws what a process
    started at the end draws, byte for byte; the prepared one is the one used."""
    study = filled(tmp_path)
    learned_drawing.prepare()
    (prepared,) = learned_drawing._PREPARED
    learned_drawing.start(study.spec, ("idf1",), tmp_path / "ahead", "study s")
    assert learned_drawing._PENDING[str(tmp_path / "ahead")] is prepared and not learned_drawing._PREPARED
    learned_drawing.finish(tmp_path / "ahead")
    learned_drawing.start(study.spec, ("idf1",), tmp_path / "at_end", "study s")  # none prepared: a new one
    learned_drawing.finish(tmp_path / "at_end")
    assert capfd.readouterr().err == ""
    ahead = {p.name: p.read_bytes() for p in (tmp_path / "ahead").iterdir()}
    assert ahead == {p.name: p.read_bytes() for p in (tmp_path / "at_end").iterdir()}
    assert len(ahead) == 5


def test_a_prepared_process_given_no_job_ends_quietly(tmp_path, capfd):
    learned_drawing.prepare()
    learned_drawing.prepare()  # one at a time
    (prepared,) = learned_drawing._PREPARED
    learned_drawing.dismiss()
    assert prepared.returncode == 0 and not learned_drawing._PREPARED
    assert capfd.readouterr().err == ""


def test_a_prepared_process_takes_its_job_while_forked_workers_hold_its_pipe(tmp_path, capfd):
    """Camera workers forked after the process started keep a copy of its input pipe open: it
    reads one line, so it gets its job, or its dismissal, without waiting for them to end."""
    import os
    import signal
    import time

    study = filled(tmp_path)
    for job in (True, False):
        learned_drawing.prepare()
        (prepared,) = learned_drawing._PREPARED
        worker = os.fork()
        if worker == 0:  # a camera worker, busy for longer than the test waits
            time.sleep(60)
            os._exit(0)
        try:
            if job:
                learned_drawing.start(study.spec, ("idf1",), tmp_path / "learned", "study s")
            else:
                learned_drawing.dismiss()
            assert prepared.wait(timeout=60) == 0
        finally:
            os.kill(worker, signal.SIGKILL)
            os.waitpid(worker, 0)
        learned_drawing.finish(tmp_path / "learned")
    assert len(list((tmp_path / "learned").iterdir())) == 5
    assert capfd.readouterr().err == ""


DRIVER_KILLED = """
import sys, time
from trackbench.sweeps import learned_drawing
learned_drawing.prepare()
print(learned_drawing._PREPARED[0].pid, flush=True)
time.sleep(600)
"""


def test_a_prepared_process_dies_with_its_driver(tmp_path):
    import os
    import signal
    import subprocess
    import sys
    import time

    driver = subprocess.Popen([sys.executable, "-c", DRIVER_KILLED], stdout=subprocess.PIPE, text=True)
    assert driver.stdout is not None
    child = int(driver.stdout.readline())
    time.sleep(0.5)
    driver.send_signal(signal.SIGKILL)
    driver.wait()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            os.kill(child, 0)
        except ProcessLookupError:
            return  # gone (init reaped it)
        try:
            with open(f"/proc/{child}/stat") as stat:
                if stat.read().split(") ")[1].startswith("Z"):
                    return  # dead, not yet reaped
        except FileNotFoundError:
            return
        time.sleep(0.1)
    os.kill(child, signal.SIGKILL)
    raise AssertionError("the prepared drawing process outlived its killed driver")
