#!/bin/sh
# Sends its headers (with ?body, the start of the body too), then stalls
# past cgi.timeout (the child sleep must die with it).
printf 'Content-Type: text/plain\r\n\r\n'
if [ "$QUERY_STRING" = body ]; then
	printf 'partial body\n'
fi
sleep 39
printf 'too late\n'
