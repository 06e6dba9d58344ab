"""Today's appointments, taken from where the site books them, and checked in beside walk-ins.

Suivant is not a booking engine: importers (iCal, CSV, REST, RDV Service Public's webhooks)
fill the day's list; a check-in turns an appointment into a ticket through `QueueService`.
"""
