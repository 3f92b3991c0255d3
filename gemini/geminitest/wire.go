package geminitest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
)

// keyInvalid is the Gemini API's answer to a wrong API key.
var keyInvalid = Reply{
	Status:    http.StatusBadRequest,
	ErrStatus: "INVALID_ARGUMENT",
	Message:   "API key not valid. Please pass a valid API key.",
}

// Google's canonical status names and messages for the HTTP statuses tests use.
var statusNames = map[int]struct{ status, message string }{
	400: {"INVALID_ARGUMENT", "Request contains an invalid argument."},
	401: {"UNAUTHENTICATED", "Request had invalid authentication credentials."},
	403: {"PERMISSION_DENIED", "The caller does not have permission."},
	404: {"NOT_FOUND", "Requested entity was not found."},
	429: {"RESOURCE_EXHAUSTED", "You exceeded your current quota, please check your plan and billing details."},
	500: {"INTERNAL", "An internal error has occurred. Please retry or report in https://developers.generativeai.google/guide/troubleshooting"},
	503: {"UNAVAILABLE", "The model is overloaded. Please try again later."},
}

// writeError answers Google's error body: {"error": {code, message, status,
// details}}.
func writeError(w http.ResponseWriter, r Reply) {
	name := statusNames[r.Status]
	if r.ErrStatus != "" {
		name.status = r.ErrStatus
	}
	if r.Message != "" {
		name.message = r.Message
	}
	details := []map[string]any{}
	if r.Message == keyInvalid.Message {
		details = append(details, map[string]any{
			"@type":    "type.googleapis.com/google.rpc.ErrorInfo",
			"reason":   "API_KEY_INVALID",
			"domain":   "googleapis.com",
			"metadata": map[string]string{"service": "generativelanguage.googleapis.com"},
		})
	}
	if r.RetryDelay != "" {
		details = append(details, map[string]any{
			"@type":      "type.googleapis.com/google.rpc.RetryInfo",
			"retryDelay": r.RetryDelay,
		})
	}
	e := map[string]any{"code": r.Status, "message": name.message, "status": name.status}
	if len(details) > 0 {
		e["details"] = details
	}
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.WriteHeader(r.Status)
	json.NewEncoder(w).Encode(map[string]any{"error": e})
}

// response is one GenerateContentResponse as the API sends it.
func response(model, text, finish string, last bool, r Reply) map[string]any {
	cand := map[string]any{
		"content": map[string]any{"role": "model", "parts": []map[string]any{{"text": text}}},
		"index":   0,
	}
	if text == "" {
		cand["content"] = map[string]any{"role": "model"}
	}
	if finish != "" {
		cand["finishReason"] = finish
	}
	out := map[string]any{
		"candidates":   []any{cand},
		"modelVersion": model,
		"responseId":   "fake-response",
	}
	if last {
		u := DefaultUsage
		if r.Usage != nil {
			u = *r.Usage
		}
		um := map[string]any{"promptTokenCount": u.Prompt, "candidatesTokenCount": u.Candidates, "totalTokenCount": u.Total}
		if u.Thoughts != 0 {
			um["thoughtsTokenCount"] = u.Thoughts
		}
		out["usageMetadata"] = um
		if len(r.Sources) > 0 {
			var chunks []any
			for _, s := range r.Sources {
				chunks = append(chunks, map[string]any{"web": map[string]any{"uri": s.URI, "title": s.Title}})
			}
			cand["groundingMetadata"] = map[string]any{"groundingChunks": chunks}
		}
	}
	return out
}

// blocked is the answer to a blocked prompt: promptFeedback, no candidates.
func blocked(model, reason string) map[string]any {
	return map[string]any{
		"promptFeedback": map[string]any{"blockReason": reason},
		"usageMetadata":  map[string]any{"promptTokenCount": 10, "totalTokenCount": 10},
		"modelVersion":   model,
		"responseId":     "fake-response",
	}
}

func finishOf(r Reply) string {
	if r.Finish != "" {
		return r.Finish
	}
	return "STOP"
}

// writeUnary answers generateContent: the whole reply as one response.
func writeUnary(w http.ResponseWriter, model string, r Reply) {
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	if r.BlockReason != "" {
		json.NewEncoder(w).Encode(blocked(model, r.BlockReason))
		return
	}
	text := strings.Join(append(append([]string(nil), r.Chunks...), r.Rest...), "")
	json.NewEncoder(w).Encode(response(model, text, finishOf(r), true, r))
}

// stream answers streamGenerateContent?alt=sse: one "data: {json}" event per
// chunk, CRLF-separated as Google sends them, the finishReason on the last.
func stream(w http.ResponseWriter, r *http.Request, model string, reply Reply) {
	f := w.(http.Flusher)
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	send := func(v any) {
		b, _ := json.Marshal(v)
		fmt.Fprintf(w, "data: %s\r\n\r\n", b)
		f.Flush()
	}
	if reply.BlockReason != "" {
		send(blocked(model, reply.BlockReason))
		return
	}
	chunks := append([]string(nil), reply.Chunks...)
	if reply.Gate == nil {
		chunks = append(chunks, reply.Rest...)
	}
	open := reply.Gate != nil || reply.Cut || reply.EndEarly
	for i, c := range chunks {
		last := !open && i == len(chunks)-1
		send(response(model, c, finishIf(last, reply), last, reply))
	}
	if !open && len(chunks) == 0 {
		send(response(model, "", finishOf(reply), true, reply))
	}
	f.Flush()
	if g := reply.Gate; g != nil {
		close(g.reached)
		select {
		case <-g.release:
		case <-r.Context().Done():
			close(g.gone)
			return
		}
		for i, c := range reply.Rest {
			last := !reply.Cut && !reply.EndEarly && i == len(reply.Rest)-1
			send(response(model, c, finishIf(last, reply), last, reply))
		}
		if len(reply.Rest) == 0 && !reply.Cut && !reply.EndEarly {
			send(response(model, "", finishOf(reply), true, reply))
		}
	}
	if reply.Cut {
		// Abort the response: net/http closes the connection without the
		// chunked terminator, so the client reads an unexpected EOF.
		panic(http.ErrAbortHandler)
	}
}

func finishIf(last bool, r Reply) string {
	if last {
		return finishOf(r)
	}
	return ""
}
