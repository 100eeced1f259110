#!/bin/sh
printf "Content-Type: text/plain\n\nSCRIPT_NAME=%s PATH_INFO=%s\n" "$SCRIPT_NAME" "$PATH_INFO"
