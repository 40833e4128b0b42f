"""Scheduled jobs on APScheduler 3, each replica with its schedule in memory; each due run happens
once across replicas (bot/scheduler/runner.py)."""
