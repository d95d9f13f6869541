"""Statistics: the admins' figures, exports, the monthly report and the public transparency page."""
