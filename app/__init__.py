"""jointuse: the booking service behind a city/school-district joint-use agreement."""
