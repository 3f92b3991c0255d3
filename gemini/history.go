package gemini

import (
	"strings"
	"unicode/utf8"

	"google.golang.org/genai"
)

// Turn is one message of a room's history.
type Turn struct {
	// Model is true for the assistant's own replies, false for people's
	// messages.
	Model bool
	// Name is the author's display name; it marks people's turns so that in
	// a shared room the model knows who said what. Ignored for model turns.
	Name string
	// Text is the message body.
	Text string
}

// text is what the model sees of t: people's turns carry their name in
// brackets ("[Ada] hello"), the assistant's own turns are bare.
func (t Turn) text() string {
	name := strings.TrimSpace(strings.NewReplacer("[", "(", "]", ")", "\n", " ").Replace(t.Name))
	if t.Model || name == "" {
		return t.Text
	}
	return "[" + name + "] " + t.Text
}

// Conversation turns history (oldest first, ending with the message to
// answer) into the contents of a request, within a budget of characters
// (runes, names included):
//
//   - the newest turns are kept, going back in time while the total fits;
//     the last turn is always kept, cut to the budget if it alone exceeds it;
//   - turns with empty text are skipped;
//   - consecutive turns of the same role are merged into one content,
//     separated by a blank line, since several people may speak in a row in
//     a shared room and the API wants the roles to alternate;
//   - the conversation starts with a user turn: model turns left at the
//     start by the budget are dropped.
//
// A budget ≤ 0 means DefaultContextChars.
func Conversation(history []Turn, budget int) []*genai.Content {
	if budget <= 0 {
		budget = DefaultContextChars
	}
	var kept []Turn // newest first
	used := 0
	for i := len(history) - 1; i >= 0; i-- {
		t := history[i]
		if strings.TrimSpace(t.Text) == "" {
			continue
		}
		s := t.text()
		n := utf8.RuneCountInString(s)
		if used+n > budget {
			if len(kept) > 0 {
				break
			}
			s = cutRunes(s, budget)
			n = budget
		}
		used += n
		kept = append(kept, Turn{Model: t.Model, Text: s})
	}
	for len(kept) > 0 && kept[len(kept)-1].Model {
		kept = kept[:len(kept)-1]
	}
	var out []*genai.Content
	for i := len(kept) - 1; i >= 0; i-- {
		t := kept[i]
		role := genai.RoleUser
		if t.Model {
			role = genai.RoleModel
		}
		if last := len(out) - 1; last >= 0 && out[last].Role == role {
			p := out[last].Parts[0]
			p.Text += "\n\n" + t.Text
			continue
		}
		out = append(out, &genai.Content{Role: role, Parts: []*genai.Part{{Text: t.Text}}})
	}
	return out
}

// cutRunes returns the first n runes of s.
func cutRunes(s string, n int) string {
	i := 0
	for j := range s {
		if i == n {
			return s[:j]
		}
		i++
	}
	return s
}
