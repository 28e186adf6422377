//go:build !linux

package main

// releaseCode drops the resident pages of the daemon's code where the system allows it; only
// Linux does here.
func releaseCode() error { return nil }
