"""One experiment: a validated config in, tracked and scored cameras, a run folder and an MLflow run out.

- ``app``: :func:`~trackbench.experiment.app.run_experiment`, the whole experiment without Hydra's CLI;
- ``runner``: batches, carry-forward and worker processes (orchestration only);
- ``workers``: the camera worker processes: start method, the pool kept from job to job, the sweep's forkserver;
- ``camera_worker``: one camera's tracking in a worker; ``precomputed``: result files scored as they are;
- ``checkpoints``: resuming a killed run; ``postprocess``: offline interpolation and smoothing;
- ``run_record``: the experiment's MLflow run (what it logs, through :mod:`trackbench.record`);
- ``summary``: the console summary; ``_cores`` and ``_lifeline``: worker counts and orphan guards.

Nothing is re-exported here: a camera worker imports ``camera_worker`` without the app's graph.
"""
