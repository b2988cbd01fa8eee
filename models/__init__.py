"""Networks, their weights and the runners that execute them (``avevents.models``)."""
