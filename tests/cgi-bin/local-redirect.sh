#!/bin/sh
printf "Location: /elsewhere/\r\n\r\n"
