"""Imported once by the fork server that starts the photo workers, never by the server.

Whatever the fork server has loaded, every worker it forks shares with it (and with each
other) until someone writes to it. Pillow registers its image formats on first use, and
reading a JPEG's EXIF pulls in the TIFF plugin and ``fractions``/``decimal``; done inside
each worker, that is some MiB of private memory per worker, again in every recycled one.
Done here, once, it is shared.

``gc.freeze()`` last: the objects loaded so far move to the collector's permanent
generation, so a collection in a worker does not walk them and write to their pages, which
would copy those pages into every worker (the use the Python documentation gives for it).
"""

from __future__ import annotations

import gc

from PIL import Image, WebPImagePlugin  # noqa: F401  (registers WebP: no Image.init())

import server.evidence.worker  # noqa: F401  (the code the workers run)

Image.preinit()  # BMP, GIF, JPEG, PPM, PNG (and through JPEG: TIFF, for EXIF)
gc.freeze()
