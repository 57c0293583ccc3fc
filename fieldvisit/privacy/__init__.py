"""Personal data: the public privacy notice (/privacy) and the retention of photo originals
(`fieldvisit purge-originals`). Owns no tables: it reads rounds and marks visits' photos."""
