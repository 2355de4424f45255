"""What supervisors watch: supervision lists, the hash-chained trail, notifications."""
