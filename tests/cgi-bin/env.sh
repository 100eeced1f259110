#!/bin/sh
# Prints every CGI meta-variable (and the working directory), one per line.
printf 'Content-Type: text/plain\r\n\r\n'
for v in GATEWAY_INTERFACE SERVER_PROTOCOL SERVER_SOFTWARE SERVER_NAME \
	SERVER_PORT REQUEST_METHOD QUERY_STRING PATH_INFO PATH_TRANSLATED \
	SCRIPT_NAME SCRIPT_FILENAME REQUEST_URI CONTENT_LENGTH CONTENT_TYPE \
	REMOTE_ADDR REMOTE_PORT DOCUMENT_ROOT PATH HTTP_HOST HTTP_X_CUSTOM \
	HTTP_PROXY HTTPS; do
	eval "set=\${$v+x} val=\${$v-}"
	if [ -n "$set" ]; then
		printf '%s=%s\n' "$v" "$val"
	else
		printf '%s unset\n' "$v"
	fi
done
printf 'CWD=%s\n' "$(pwd)"
printf 'ARGC=%s\n' "$#"
env | grep '^HTTP_' | sort | sed 's/^/ENV /'
