"""`make bench`, `make soak` and `make profile`: how fast Flasky is beside
a bare Flask app, and how it holds up under load."""
