"""gunicorn entry for neutron-api (config located through environment variables set by lab.sh)."""
import sys

# The app parses sys.argv when imported: gunicorn's own arguments would make it fail.
sys.argv = sys.argv[:1]

from neutron.wsgi.api import application  # noqa: E402,F401
