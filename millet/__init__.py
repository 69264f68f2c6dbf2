"""Millet: one platform from the sale of a device to its connection and its money."""
