#!/bin/sh
# The status line the query names: ?429+Too+Many+Requests sends
# "Status: 429 Too Many Requests" ('+' for a space).
status=$(printf '%s' "$QUERY_STRING" | tr '+' ' ')
printf "Status: %s\r\nContent-Type: text/plain\r\n\r\nstatus %s\n" "$status" "$status"
