"""The wait estimators judged on simulated days: `python -m simulators.estimate_eval`.

days.py fixes the days (sites, traffic, counters' shifts, seeds; development or held-out),
simulate.py plays one on the real domain (QueueState) with a virtual clock, rivals.py holds
the estimators compared with the one the queue ships, score.py the figures.
"""
