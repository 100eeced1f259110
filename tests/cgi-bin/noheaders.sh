#!/bin/sh
printf "\nbody without headers\n"
