// Tracker's own scripts. Kept in a file: the Content-Security-Policy allows no inline script.
