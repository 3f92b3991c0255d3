package web

import (
	"net/http"
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

// pathID reads the id in the path segment name ({id}, {invitationId}):
// anything but a positive integer is NOT_FOUND, as an unknown id is.
func pathID(r *http.Request, name string) (int64, error) {
	return parseID(r.PathValue(name))
}

// formID reads the id in the posted form field name, as pathID does.
func formID(r *http.Request, name string) (int64, error) {
	return parseID(r.PostForm.Get(name))
}

func parseID(v string) (int64, error) {
	id, err := strconv.ParseInt(v, 10, 64)
	if err != nil || id <= 0 {
		return 0, torii.ErrNotFound
	}
	return id, nil
}
