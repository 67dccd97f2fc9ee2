"""The monthly police.uk refresh: which months to fetch for the partnership, and their import.

``refresh`` decides which months police.uk has that we lack (or may have revised), asks
``saferhood.policeapi`` (the client, the polygons, the answers on disk) for each, and imports them
through the police.uk importer; ``polygons`` finds the partnership's boundaries; ``forces`` each
local authority's own police force.
"""
