#!/bin/sh
printf "Location: http://example.com/target?x=1\r\n\r\n"
