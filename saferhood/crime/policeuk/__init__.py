"""The monthly police.uk refresh: ask the police.uk API what is new and load it.

``client`` talks to the API (rate limited by ``limiter``, retrying what can be retried),
``polygons`` turns the partnership's ward boundaries into the API's ``poly`` areas and splits one
that holds too many crimes, ``state`` keeps each answer on disk so an interrupted fetch resumes,
and ``refresh`` decides which months to fetch and imports them through the police.uk importer.
"""
