#!/usr/bin/env python3
"""Prints the CGI meta-variables, like env.sh, from Python."""
import os
import sys

NAMES = ("GATEWAY_INTERFACE SERVER_PROTOCOL SERVER_SOFTWARE SERVER_NAME "
         "SERVER_PORT REQUEST_METHOD QUERY_STRING PATH_INFO PATH_TRANSLATED "
         "SCRIPT_NAME SCRIPT_FILENAME REQUEST_URI CONTENT_LENGTH CONTENT_TYPE "
         "REMOTE_ADDR REMOTE_PORT DOCUMENT_ROOT PATH HTTP_HOST HTTP_X_CUSTOM "
         "HTTP_PROXY").split()
out = ["Content-Type: text/plain", ""]
for name in NAMES:
    if name in os.environ:
        out.append("%s=%s" % (name, os.environ[name]))
    else:
        out.append("%s unset" % name)
out.append("CWD=%s" % os.getcwd())
sys.stdout.write("\r\n".join(out[:2]) + "\r\n" + "\n".join(out[2:]) + "\n")
