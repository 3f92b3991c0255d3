package web

// SetStreamWriteHook makes f run before every write to an event stream,
// with the stream's request id (nil: none), for tests that inject faults
// into a stream's writer.
func SetStreamWriteHook(f func(requestID string)) {
	if f == nil {
		testHookStreamWrite.Store(nil)
		return
	}
	testHookStreamWrite.Store(&f)
}
