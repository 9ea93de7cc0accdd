"""What a study learned, drawn in a process of its own (trackbench.sweeps.learned_drawing): the
same files, byte for byte, as drawn in-process; a failure is a warning, never an error."""

from __future__ import annotations

from trackbench.sweeps import learned_drawing
from trackbench.tuning.learned import write_learned
from trackbench.tuning.location import LEARNED_NOTE

from .tuning.test_learned import filled


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
