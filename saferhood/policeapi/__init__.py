"""The police.uk API, in plain Python (no Django): a polite client (a token bucket, retries with
back-off), the polygons it is asked about (cut when police.uk finds one too big), and a month's
answers kept on disk so a fetch resumes. ``saferhood.crime.policeuk`` decides what to fetch and
imports it; this package only talks to police.uk and keeps what it said.
"""
