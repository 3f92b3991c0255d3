package service

import (
	"context"
	"errors"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/toriihq/torii"
)

// A Gemini conversation created with autoTitle gets its name from its
// first exchange (docs/api.md "Working with replies"): once the first
// reply is stored, one short request asks the model for a title; when it
// fails, times out or says nothing usable, the question's first words
// are the title. The request runs beside the reply (the room hears
// assistant.done first), within titleTimeout, and its tokens are counted
// like a reply's (usage and budgets). A rename by the owner before that
// cancels it.

const (
	// maxTitleRunes bounds a generated title (room names allow 80).
	maxTitleRunes = 60
	// titleInputRunes bounds how much of the question and of the reply
	// the title request quotes.
	titleInputRunes = 1500
	// titleMaxTokens bounds the title answer (room for a model that
	// thinks before it answers; the title is cut to maxTitleRunes).
	titleMaxTokens = 512
	// fallbackWords and fallbackRunes bound the title made of the
	// question's first words.
	fallbackWords = 6
	fallbackRunes = 40
)

// titleTimeout bounds the title request (a variable for the test that
// proves the bound).
var titleTimeout = 20 * time.Second

// titleInstruction is the system instruction of the title request.
const titleInstruction = "You name conversations. Reply with a title for the conversation below: at most six words, " +
	"in the language of the question, without quotes, Markdown or a final full stop. Reply with the title only."

// AssistantGenerator is a model that also answers one question in one
// request; app's Gemini model is one. Without it, conversations are named
// after the question's first words.
type AssistantGenerator interface {
	// Generate answers text under the system instruction with model
	// ("" for the default), in at most maxOutput tokens, and reports the
	// usage (also with an error, when known).
	Generate(ctx context.Context, model, system, text string, maxOutput int) (string, *AssistantTokens, error)
}

// titlePrompt is the user turn of the title request.
func titlePrompt(question, reply string) string {
	return "Question:\n" + truncateRunes(question, titleInputRunes) + "\n\nAnswer:\n" + truncateRunes(reply, titleInputRunes)
}

// startTitle names room r after its first exchange if it waits for a
// title. It returns at once; the title is made on its own goroutine,
// counted in the assistant's wait group so shutdown waits for it (within
// titleTimeout). The caller holds a count of that group.
func (s *Service) startTitle(r torii.Room, asked ChatMessage, reply string, req AssistantRequest, model string, userID int64) {
	if !r.Assistant {
		return
	}
	s.assistant.wg.Add(1)
	go func() {
		defer s.assistant.wg.Done()
		ctx, cancel := context.WithTimeout(context.Background(), titleTimeout+replySettle)
		defer cancel()
		take, err := s.store.TakeAutoTitle(ctx, r.ID)
		if err != nil {
			s.log.Warn("assistant title not taken", "room", r.ID, "err", err)
			return
		}
		if !take {
			return
		}
		title := s.generateTitle(ctx, r.ID, asked.Body, reply, req, model, userID)
		s.applyTitle(ctx, r.ID, title)
	}()
}

// generateTitle asks the model for a title and records what it cost; on
// any failure it returns the question's first words.
func (s *Service) generateTitle(ctx context.Context, roomID int64, question, reply string, req AssistantRequest, model string, userID int64) string {
	g, ok := s.opts.Assistant.(AssistantGenerator)
	if !ok {
		return firstWords(question)
	}
	gctx, cancel := context.WithTimeout(ctx, titleTimeout)
	defer cancel()
	text, usage, err := g.Generate(gctx, req.Model, titleInstruction, titlePrompt(question, reply), titleMaxTokens)
	if usage != nil {
		rec := torii.AssistantUsage{UserID: userID, RoomID: roomID, Model: model, PromptTokens: usage.Prompt,
			OutputTokens: usage.Output, ThoughtsTokens: usage.Thoughts, TotalTokens: usage.Total, SourcesJSON: "[]",
			CreatedAt: s.now().UTC()}
		if _, err := s.store.RecordUsage(ctx, rec); err != nil {
			s.log.Error("assistant title usage not recorded", "room", roomID, "err", err)
		}
	}
	if err != nil {
		s.log.Warn("assistant title failed: the question's first words name the conversation", "room", roomID, "err", err)
		return firstWords(question)
	}
	if t := cleanTitle(text); t != "" {
		return t
	}
	return firstWords(question)
}

// applyTitle renames the room, unless it was deleted meanwhile.
func (s *Service) applyTitle(ctx context.Context, roomID int64, title string) {
	if title == "" {
		return
	}
	_, err := s.store.UpdateRoom(ctx, roomID, s.now().UTC(), func(x *torii.Room) error {
		x.Name = title
		return nil
	})
	if err != nil {
		if !errors.Is(err, torii.ErrNotFound) {
			s.log.Warn("assistant title not saved", "room", roomID, "err", err)
		}
		return
	}
	s.cache.forgetRoom(roomID)
	s.publishLog(ctx, roomID, 0, torii.ChatRoomUpdate, 0)
}

// cleanTitle keeps the first line of the model's answer, without Markdown
// marks, quotes or a final full stop, cut to maxTitleRunes.
func cleanTitle(s string) string {
	for _, line := range strings.Split(s, "\n") {
		line = strings.TrimSpace(line)
		line = strings.TrimLeft(line, "#*_>-` ")
		line = strings.TrimPrefix(line, "Title:")
		for range 2 { // 「Title」。 and "Title." alike
			line = strings.TrimRight(line, ".。 ")
			line = strings.Trim(line, " *_`\"'“”‘’「」『』")
		}
		if line = oneLine(line); line != "" {
			return cutTitle(line, maxTitleRunes)
		}
	}
	return ""
}

// firstWords is the title of a conversation whose title request failed:
// the question's first words (a text without spaces, such as Japanese, is
// cut by characters).
func firstWords(q string) string {
	q = strings.TrimLeft(oneLine(q), "#*_>-` ")
	words := strings.Fields(q)
	cut := len(words) > fallbackWords
	if cut {
		words = words[:fallbackWords]
	}
	t := strings.Join(words, " ")
	if utf8.RuneCountInString(t) > fallbackRunes {
		return cutTitle(t, fallbackRunes)
	}
	if cut {
		return t + "…"
	}
	return t
}

// oneLine folds every run of spaces and control characters into one
// space.
func oneLine(s string) string {
	return strings.Join(strings.FieldsFunc(s, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }), " ")
}

// cutTitle cuts s to n runes, at a space when there is one in its second
// half, and marks the cut.
func cutTitle(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)[:n-1]
	if i := strings.LastIndexFunc(string(r), unicode.IsSpace); i > len(string(r))/2 {
		return strings.TrimSpace(string(r)[:i]) + "…"
	}
	return string(r) + "…"
}

// keepName cancels the generated title of a conversation its owner named.
func (s *Service) keepName(ctx context.Context, roomID int64) {
	if _, err := s.store.TakeAutoTitle(ctx, roomID); err != nil {
		s.log.Warn("assistant title mark not cleared", "room", roomID, "err", err)
	}
}
