"""``python -m connect_contact_defaults plan|drift``: the connect-contact-defaults command."""

import sys

from connect_contact_defaults.plan.command import main

sys.exit(main())
