#!/bin/sh
# Crashes before answering.
kill -SEGV $$
