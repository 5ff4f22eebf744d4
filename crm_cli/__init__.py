"""crm: a command-line CRM for individual sales reps and small teams."""

__version__ = "0.1.0"
