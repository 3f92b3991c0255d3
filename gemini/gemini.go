// Package gemini is torii's Gemini assistant: it wraps the official genai SDK
// (google.golang.org/genai), turns a room's history into a conversation the
// model understands, streams the reply as text chunks and classifies what
// can go wrong (timeout, quota, safety block, refused key, network, a reply
// cut off mid-stream) into codes with a message a person can read.
//
// The package knows nothing of rooms, users or HTTP handlers: the service
// hands it turns and gets chunks back. Gemini's own servers are the only
// part tests replace, with the fake in gemini/geminitest.
package gemini

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"google.golang.org/genai"
)

// Defaults used when a Config field is zero.
const (
	// DefaultModel is the model asked when Config.Model is empty.
	DefaultModel = "gemini-2.5-flash"
	// DefaultContextChars bounds the history sent with each request: about
	// 8,000 tokens of English at ~4 characters per token, which keeps a
	// long-lived room cheap and fast while holding dozens of turns.
	DefaultContextChars = 32_000
	// DefaultTimeout bounds one whole reply, from the request to the last
	// chunk. Thinking models may be silent for a while before the first
	// chunk, so this is generous.
	DefaultTimeout = 2 * time.Minute
)

// namesNote is appended to the system instruction: it tells the model how
// torii marks who said what, so that it reads names and does not imitate
// the marks.
const namesNote = "Messages from people begin with the author's name in square brackets, " +
	"like [Ada Lovelace]. Do not begin your replies with a name in brackets."

// Config says how to reach Gemini. The zero value of each optional field
// means the default named on it.
type Config struct {
	// APIKey selects the Gemini API backend (generativelanguage.googleapis.com)
	// when VertexAI is false. With VertexAI and no Project it is a Vertex AI
	// express-mode key.
	APIKey string
	// VertexAI selects the Vertex AI backend. With a Project, requests are
	// authorised by Application Default Credentials (the Cloud Run service
	// account, or `gcloud auth application-default login`), and APIKey is
	// not sent.
	VertexAI bool
	// Project and Location name the Vertex AI project and region. An empty
	// Location lets the SDK choose (it uses "global").
	Project, Location string
	// Model is the model name. Default DefaultModel.
	Model string
	// BaseURL replaces the SDK's endpoint (a proxy, or the fake in tests).
	// Default empty: the SDK's.
	BaseURL string
	// SystemPrompt is the system instruction sent with every request; a
	// sentence about how names are marked is appended to it. Empty sends
	// only that sentence.
	SystemPrompt string
	// ContextChars bounds the characters of history sent with a request
	// (see Conversation). Default DefaultContextChars.
	ContextChars int
	// Timeout bounds one whole reply. Default DefaultTimeout.
	Timeout time.Duration
	// HTTPClient carries the requests. Default nil: the SDK's own client
	// (with Application Default Credentials for Vertex AI). Setting it for
	// Vertex AI skips those credentials, which only tests want.
	HTTPClient *http.Client
}

// Client asks Gemini for replies. It is safe for concurrent use.
type Client struct {
	sdk          *genai.Client
	model        string
	system       string
	contextChars int
	timeout      time.Duration
	backend      string
}

// New returns a Client for cfg. It makes no request: a wrong key or an
// unknown model shows up on the first reply, as ASSISTANT_MISCONFIGURED.
// Errors never contain the API key.
func New(ctx context.Context, cfg Config) (*Client, error) {
	cc := &genai.ClientConfig{HTTPClient: cfg.HTTPClient}
	cc.HTTPOptions.BaseURL = cfg.BaseURL
	backend := "gemini-api"
	switch {
	case cfg.VertexAI:
		backend = "vertex-ai"
		cc.Backend = genai.BackendVertexAI
		cc.Project, cc.Location = cfg.Project, cfg.Location
		if cfg.Project == "" {
			cc.APIKey = cfg.APIKey
		}
		if cfg.Project == "" && cfg.APIKey == "" {
			return nil, errors.New("gemini: Vertex AI needs a project (GOOGLE_CLOUD_PROJECT) or an API key")
		}
	default:
		cc.Backend = genai.BackendGeminiAPI
		cc.APIKey = cfg.APIKey
		if cfg.APIKey == "" {
			return nil, errors.New("gemini: the Gemini API needs an API key")
		}
	}
	sdk, err := genai.NewClient(ctx, cc)
	if err != nil {
		// The SDK prints its whole ClientConfig, key included, in some
		// errors: never pass its text on.
		msg := err.Error()
		if cfg.APIKey != "" {
			msg = strings.ReplaceAll(msg, cfg.APIKey, "[redacted]")
		}
		return nil, fmt.Errorf("gemini: creating the %s client: %s", backend, msg)
	}
	c := &Client{
		sdk:          sdk,
		model:        cfg.Model,
		system:       strings.TrimSpace(strings.TrimSpace(cfg.SystemPrompt) + "\n\n" + namesNote),
		contextChars: cfg.ContextChars,
		timeout:      cfg.Timeout,
		backend:      backend,
	}
	if c.model == "" {
		c.model = DefaultModel
	}
	if c.contextChars <= 0 {
		c.contextChars = DefaultContextChars
	}
	if c.timeout <= 0 {
		c.timeout = DefaultTimeout
	}
	return c, nil
}

// Model returns the model name the Client asks.
func (c *Client) Model() string { return c.model }

// Backend returns "gemini-api" or "vertex-ai", for the start-up log.
func (c *Client) Backend() string { return c.backend }
