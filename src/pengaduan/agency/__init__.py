"""Agency structure: the units that handle complaints and the categories routed to them."""
