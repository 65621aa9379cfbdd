package kernel

// SetFastPath turns the IPC fast path on or off and returns the previous setting.
func SetFastPath(on bool) bool {
	old := fastPath
	fastPath = on
	return old
}
