"""Files written for other programs: QGIS styles (:mod:`.styles`)."""
