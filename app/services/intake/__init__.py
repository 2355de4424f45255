"""How cases come in: police hand-offs, resident reports by QR door plate, API tokens, places and addresses."""
