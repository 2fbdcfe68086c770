package main

import "time"

var zeroTime time.Time
