// Hostile-guest tests (tests/guests/hostileguest.c): the host survives a guest that lies.
