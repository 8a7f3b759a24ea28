"""The in-app inbox, reply digests by e-mail and the private feed of replies."""
