#!/bin/sh
# Answers in full and closes its stdout, then lingers past cgi.timeout
# with stderr still open (the child sleep must die with it).
printf 'Content-Type: text/plain\r\n\r\ndone\n'
exec >&-
sleep 38
