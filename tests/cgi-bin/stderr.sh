#!/bin/sh
echo "something went sideways" >&2
printf "Content-Type: text/plain\n\nfine\n"
