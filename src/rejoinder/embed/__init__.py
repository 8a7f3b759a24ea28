"""The embed widget: what a site owner may ask of it (origins, theme) and how that is checked."""
