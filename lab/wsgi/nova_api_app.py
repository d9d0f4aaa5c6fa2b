"""gunicorn entry for nova-api (config located through environment variables set by lab.sh)."""
import sys

# The app parses sys.argv when imported: gunicorn's own arguments would make it fail.
sys.argv = sys.argv[:1]

from nova.wsgi.osapi_compute import application as app  # noqa: E402

application = app
