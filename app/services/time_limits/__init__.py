"""Time limits: the business calendar, the clock, year schedules, timers and their sweep, pauses, due states."""
