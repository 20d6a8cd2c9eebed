"""Cross-cutting helpers: errors, ids, clock, JSON codecs."""
