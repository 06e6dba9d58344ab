"""`suivant doctor`: checks a running site and says, for each failure, what to do about it."""
