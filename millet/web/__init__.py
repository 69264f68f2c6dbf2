"""The pages' frame shared by every domain: the base layout, components, markets in the URL, formats.

Sits above the kernel (accounts, regions) and below every domain with pages, so each domain's
views may use it and register its links in the navigation (``web.nav``) from its AppConfig.
"""
