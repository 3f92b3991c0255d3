// Package geminitest is a local fake of the Gemini REST API for tests: an
// httptest server that speaks the wire format the genai SDK uses
// (`POST /v1beta/models/{model}:streamGenerateContent?alt=sse` answered with
// `data: {GenerateContentResponse}` server-sent events, plain
// `:generateContent` answered with one JSON object, Google's error body
// `{"error": {code, message, status, details}}`), and the Vertex AI paths
// (`/v1beta1/projects/{p}/locations/{l}/publishers/google/models/{model}:…`).
//
// Tests script replies (text chunks, HTTP errors, a blocked prompt or reply,
// a connection cut mid-stream, a gate that holds the stream open), point the
// real SDK at URL, and read back the requests the fake received.
package geminitest

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// Reply is how the fake answers one request. The zero Reply answers a
// finished, empty reply.
type Reply struct {
	// Chunks are the text chunks, one SSE event each, sent at once.
	Chunks []string
	// Gate, when set, holds the stream open after Chunks (see Gate).
	Gate *Gate
	// Rest are chunks sent after the Gate is released.
	Rest []string
	// Finish is the finishReason of the last event. Default "STOP"; set
	// "SAFETY" for a reply blocked mid-way.
	Finish string
	// Cut drops the connection after the chunks, with no finishReason and
	// no end of the chunked body: the client sees the stream break.
	Cut bool
	// EndEarly ends the stream cleanly after the chunks but without a
	// finishReason.
	EndEarly bool
	// BlockReason answers promptFeedback.blockReason (e.g. "SAFETY") and no
	// candidates: the prompt was blocked.
	BlockReason string
	// Status, when not 0 or 200, answers that HTTP status with Google's
	// error body instead of a reply. Message and ErrStatus default to what
	// Google sends for the status; RetryDelay ("30s") adds a RetryInfo.
	Status     int
	ErrStatus  string
	Message    string
	RetryDelay string
	// Usage is the usageMetadata of the last event. Default
	// DefaultUsage.
	Usage *Usage
	// Sources are grounding chunks (web pages) sent with the last event,
	// as a reply grounded with Google Search has them.
	Sources []Source
}

// Usage is a usageMetadata: the token counts the API reports.
type Usage struct {
	Prompt, Candidates, Thoughts, Total int
}

// DefaultUsage is the usage the fake reports when a Reply names none.
var DefaultUsage = Usage{Prompt: 10, Candidates: 5, Total: 15}

// Source is a web page in groundingMetadata.groundingChunks.
type Source struct {
	Title, URI string
}

// Text is a Reply of the given chunks, finished with STOP.
func Text(chunks ...string) Reply { return Reply{Chunks: chunks} }

// Content is a turn of a request, as the API receives it.
type Content struct {
	Role  string `json:"role,omitempty"`
	Parts []Part `json:"parts"`
}

// Part is one part of a Content; the fake reads only text.
type Part struct {
	Text    string `json:"text,omitempty"`
	Thought bool   `json:"thought,omitempty"`
}

// Text joins the text of c's parts.
func (c Content) Text() string {
	var b strings.Builder
	for _, p := range c.Parts {
		b.WriteString(p.Text)
	}
	return b.String()
}

// Request is one request the fake received.
type Request struct {
	// Path is the URL path, e.g. /v1beta/models/gemini-2.5-flash:streamGenerateContent.
	Path string
	// Model is the model named in the path, without "models/".
	Model string
	// Stream is true for streamGenerateContent.
	Stream bool
	// APIKey is the x-goog-api-key header.
	APIKey string
	// Contents and SystemInstruction are the decoded body.
	Contents          []Content `json:"contents"`
	SystemInstruction *Content  `json:"systemInstruction"`
	// Tools are the tools offered, as sent (e.g. {"googleSearch": {}}).
	Tools []map[string]any `json:"tools"`
	// Body is the raw request body.
	Body []byte `json:"-"`
}

// GoogleSearch reports whether the request offered the GoogleSearch
// grounding tool.
func (r Request) GoogleSearch() bool {
	for _, t := range r.Tools {
		if _, ok := t["googleSearch"]; ok {
			return true
		}
	}
	return false
}

// System returns the text of the request's system instruction.
func (r Request) System() string {
	if r.SystemInstruction == nil {
		return ""
	}
	return r.SystemInstruction.Text()
}

// Server is the fake. Create it with New; it closes when the test ends.
type Server struct {
	// URL is the base URL to give the SDK (HTTPOptions.BaseURL).
	URL string
	// Key, when set, is the only API key accepted: any other gets the
	// Gemini API's 400 API_KEY_INVALID answer.
	Key string

	srv      *httptest.Server
	mu       sync.Mutex
	queue    []Reply
	fallback Reply
	// unary and unaryFallback answer generateContent (one-shot requests,
	// such as a conversation's title), apart from the streamed replies so
	// that a test's scripted replies are not spent on them.
	unary         []Reply
	unaryFallback Reply
	requests      []Request
	notify        chan struct{} // closed and replaced on every request
}

// New starts a fake that answers Text("Hello from the fake.") unless told
// otherwise.
func New(t testing.TB) *Server {
	s := &Server{fallback: Text("Hello ", "from the fake."), unaryFallback: Text(DefaultTitle), notify: make(chan struct{})}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	s.URL = s.srv.URL
	t.Cleanup(s.Close)
	return s
}

// Close stops the server, ending streams still open.
func (s *Server) Close() {
	s.srv.CloseClientConnections()
	s.srv.Close()
}

// Enqueue adds replies answered, in order, to the next requests.
func (s *Server) Enqueue(r ...Reply) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.queue = append(s.queue, r...)
}

// SetDefault sets the reply given when the queue is empty.
func (s *Server) SetDefault(r Reply) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fallback = r
}

// DefaultTitle is the fake's answer to a one-shot request
// (generateContent) when none was enqueued with EnqueueUnary.
const DefaultTitle = "Fake conversation title"

// EnqueueUnary adds replies answered, in order, to the next one-shot
// requests (generateContent); streamed requests take theirs from Enqueue.
func (s *Server) EnqueueUnary(r ...Reply) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.unary = append(s.unary, r...)
}

// Requests returns the requests received so far, oldest first.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

// Received returns a channel closed on the next request after the call, so
// a test can wait for a request without polling.
func (s *Server) Received() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.notify
}

// Gate holds a streamed reply open between Reply.Chunks and Reply.Rest, so
// that a test can act while a reply is in flight (cancel it, shut down, send
// another message). A Gate serves one request.
type Gate struct {
	reached, release, gone chan struct{}
	releaseOnce            sync.Once
}

// NewGate returns a closed gate.
func NewGate() *Gate {
	return &Gate{reached: make(chan struct{}), release: make(chan struct{}), gone: make(chan struct{})}
}

// Reached is closed once the fake has flushed Reply.Chunks and is holding.
func (g *Gate) Reached() <-chan struct{} { return g.reached }

// Release lets the stream go on with Reply.Rest. It may be called twice.
func (g *Gate) Release() { g.releaseOnce.Do(func() { close(g.release) }) }

// ClientGone is closed if the client went away (cancelled its request)
// while the gate held the stream.
func (g *Gate) ClientGone() <-chan struct{} { return g.gone }

func (s *Server) next(req Request) Reply {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests = append(s.requests, req)
	close(s.notify)
	s.notify = make(chan struct{})
	if !req.Stream {
		if len(s.unary) == 0 {
			return s.unaryFallback
		}
		r := s.unary[0]
		s.unary = s.unary[1:]
		return r
	}
	if len(s.queue) == 0 {
		return s.fallback
	}
	r := s.queue[0]
	s.queue = s.queue[1:]
	return r
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	method, model, ok := parsePath(r.URL.Path)
	if r.Method != http.MethodPost || !ok || (method != "streamGenerateContent" && method != "generateContent") {
		writeError(w, Reply{Status: http.StatusNotFound, Message: "Method not found."})
		return
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return
	}
	req := Request{Path: r.URL.Path, Model: model, Stream: method == "streamGenerateContent",
		APIKey: r.Header.Get("x-goog-api-key"), Body: body}
	if err := json.Unmarshal(body, &req); err != nil || len(req.Contents) == 0 {
		s.next(req)
		writeError(w, Reply{Status: http.StatusBadRequest, Message: "* GenerateContentRequest.contents: contents is not specified"})
		return
	}
	reply := s.next(req)
	if s.Key != "" && req.APIKey != s.Key {
		writeError(w, keyInvalid)
		return
	}
	if reply.Status != 0 && reply.Status != http.StatusOK {
		writeError(w, reply)
		return
	}
	if !req.Stream {
		// A gate holds a one-shot answer back as a whole (Rest joins
		// Chunks), so that a test can act while it is pending.
		if g := reply.Gate; g != nil {
			close(g.reached)
			select {
			case <-g.release:
			case <-r.Context().Done():
				close(g.gone)
				return
			}
		}
		writeUnary(w, model, reply)
		return
	}
	stream(w, r, model, reply)
}

// parsePath reads ".../models/{model}:{method}" from a Gemini API or Vertex
// AI path.
func parsePath(path string) (method, model string, ok bool) {
	i := strings.LastIndex(path, "/models/")
	if i < 0 || !(strings.HasPrefix(path, "/v1beta/") || strings.HasPrefix(path, "/v1beta1/") || strings.HasPrefix(path, "/v1/")) {
		return "", "", false
	}
	model, method, ok = strings.Cut(path[i+len("/models/"):], ":")
	return method, model, ok && model != ""
}
