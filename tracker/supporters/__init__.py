"""A supporter's personal data, as data-protection law lets them ask for it: everything
Tracker holds about one supporter (found by e-mail address) given to them as JSON, or
erased; and contact data nobody accepted (old unconfirmed public pledges) not kept."""
