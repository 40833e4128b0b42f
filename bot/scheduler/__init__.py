"""Scheduled jobs on APScheduler 3 with its job store in the application database; each due run
happens once across replicas (bot/scheduler/runner.py)."""
