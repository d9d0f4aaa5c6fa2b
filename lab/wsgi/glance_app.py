"""gunicorn entry for glance-api (config located through environment variables set by lab.sh)."""
import sys

# The app parses sys.argv when imported: gunicorn's own arguments would make it fail.
sys.argv = sys.argv[:1]

from glance.wsgi.api import application as app  # noqa: E402

application = app
