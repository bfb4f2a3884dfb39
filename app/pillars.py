"""The benchmark's eight pillars: events and sessions are tagged with these keys."""

PILLARS: dict[str, str] = {
    "leadership": "Leadership & strategy",
    "lean": "Lean operations & flow",
    "quality": "Quality & delivery",
    "people": "People & skills",
    "digital": "Data & digital systems",
    "automation": "Automation & technology",
    "innovation": "Innovation & collaboration",
    "sustainability": "Resource efficiency & sustainability",
}


def pillar_title(key: str) -> str:
    return PILLARS.get(key, key)
