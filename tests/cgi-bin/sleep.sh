#!/bin/sh
# Never answers: sleeps past cgi.timeout (the child sleep must die too).
sleep 37
printf 'Content-Type: text/plain\r\n\r\ntoo late\n'
