"""The change feed: what happened to bookings and series, oldest first, for partners
who follow it with a saved cursor (contract section 8)."""
