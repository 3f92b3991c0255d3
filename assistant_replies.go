package torii

import "context"

// Audit events of the assistant's team settings (issue 18): who changed a
// token budget, which groups a model is offered to, and a conversation's
// model, instructions or grounding. Listed in AuditEvents.
const (
	AuditAssistantQuota = "assistant.quota.set"
	AuditAssistantModel = "assistant.model.limit"
	AuditRoomAssistant  = "room.assistant.update"
)

// AssistantTitleStore keeps which conversations still wait for a title
// generated from their first exchange (issue 18 part 5).
type AssistantTitleStore interface {
	// MarkAutoTitle records that roomID's name is a placeholder, to be
	// replaced by a generated title after its first reply.
	MarkAutoTitle(ctx context.Context, roomID int64) error
	// TakeAutoTitle clears the mark and reports whether it was set: of
	// concurrent callers, at most one gets true.
	TakeAutoTitle(ctx context.Context, roomID int64) (bool, error)
}
