"""The command line of users, agencies, sharing groups, tokens and the audit
log (``python -m access``); everything goes through ``service.access``."""
