"""iCalendar (RFC 5545) feeds: a space's and a site's busy time, a party's bookings."""
