package main

import "io"

func runCtl(argv0 string, args []string, stdout, stderr io.Writer) int { return 2 }
