"""The agency's admin pages: units, categories, response templates and outside agencies."""

from pengaduan.agency import category_routes, outside_routes, template_routes, unit_routes

ROUTES = [
    *unit_routes.ROUTES,
    *category_routes.ROUTES,
    *template_routes.ROUTES,
    *outside_routes.ROUTES,
]
