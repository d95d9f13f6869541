"""The agency's admin pages: units, categories and response templates."""

from pengaduan.agency import category_routes, template_routes, unit_routes

ROUTES = [*unit_routes.ROUTES, *category_routes.ROUTES, *template_routes.ROUTES]
