package web

import (
	"net/url"
	"strconv"

	"github.com/toriihq/torii"
)

// queryInt reads the optional non-negative integer query parameter name
// (0 when absent; VALIDATION_ERROR naming it when it is not one). Every
// handler reads its ids, cursors and limits through it, so they all
// answer a bad value the same way.
func queryInt(q url.Values, name string) (int64, error) {
	v := q.Get(name)
	if v == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 {
		return 0, torii.Invalid(map[string]string{name: "must be a non-negative integer"})
	}
	return n, nil
}
