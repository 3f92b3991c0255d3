package web

// SetStreamWriteHook makes f run before every write to an event stream
// (nil: none), for tests that inject faults into a stream's writer.
func SetStreamWriteHook(f func()) {
	if f == nil {
		testHookStreamWrite.Store(nil)
		return
	}
	testHookStreamWrite.Store(&f)
}
