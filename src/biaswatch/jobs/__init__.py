"""Jobs: the baselining job and the monitoring execution, run in a worker process and recorded.

The package imports nothing on its own, so that a worker process (``python -m
biaswatch.jobs.worker``) loads only what an execution needs: import from the modules —
:mod:`~biaswatch.jobs.execution` (one execution's work), :mod:`~biaswatch.jobs.worker` (running
it in a worker process), :mod:`~biaswatch.jobs.runner` (claiming, running and recording it),
:mod:`~biaswatch.jobs.publishing` (CloudWatch and Prometheus), :mod:`~biaswatch.jobs.baseline`.
"""
