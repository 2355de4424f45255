"""Who the users are and what they may do: accounts, log-in, the access rules."""
