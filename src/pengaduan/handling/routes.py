"""Officer and admin pages for handling complaints: the unit home and the queue
(handling.queue_routes), one complaint's page (handling.detail_routes) and what staff do on
it (handling.action_routes)."""

from pengaduan.handling import action_routes, detail_routes, queue_routes

ROUTES = [*queue_routes.ROUTES, *detail_routes.ROUTES, *action_routes.ROUTES]
