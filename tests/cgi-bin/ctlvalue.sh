#!/bin/sh
# A header value with an escape sequence (a control byte): refused, 502.
printf 'Content-Type: text/plain\r\nX-Note: a\033[2Jb\r\n\r\nbody\n'
