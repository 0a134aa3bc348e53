"""Non-HTTP entry points: SQS workers, schedules and the migrate function."""
