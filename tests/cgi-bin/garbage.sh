#!/bin/sh
printf "this is not a header\n\nbody\n"
