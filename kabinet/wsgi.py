import os

from django.core.wsgi import get_wsgi_application

from kabinet.core.after_response import wsgi

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kabinet.settings")
# Work a request puts off with core.after_response.later runs once its response is sent.
application = wsgi(get_wsgi_application())
