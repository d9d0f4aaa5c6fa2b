"""gunicorn entry for keystone (config located through environment variables set by lab.sh)."""
import sys

# The app parses sys.argv when imported: gunicorn's own arguments would make it fail.
sys.argv = sys.argv[:1]

from keystone.server.wsgi import initialize_public_application as init  # noqa: E402

application = init()
