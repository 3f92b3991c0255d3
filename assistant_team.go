package torii

import (
	"context"
	"time"
)

// AssistantUsage is what one request to the model cost: the token counts of
// the API's UsageMetadata, who asked, in which room, with which model.
type AssistantUsage struct {
	ID        int64
	UserID    int64
	RoomID    int64
	MessageID *int64 // the stored reply; nil when nothing was stored
	Model     string
	// PromptTokens, OutputTokens (the API's candidates), ThoughtsTokens
	// and TotalTokens are UsageMetadata's counts. Quotas count
	// TotalTokens.
	PromptTokens, OutputTokens, ThoughtsTokens, TotalTokens int64
	// SourcesJSON is the JSON array of the grounding sources ({title,
	// uri}) of the reply, "[]" for none.
	SourcesJSON string
	CreatedAt   time.Time
}

// Usage report dimensions (GET /api/v1/admin/usage?by=).
const (
	UsageByUser  = "user"
	UsageByGroup = "group"
	UsageByModel = "model"
	UsageByDay   = "day"
)

// UsageFilter selects the usage of a report: [From, To) by CreatedAt,
// grouped By one of the UsageBy* dimensions, of one user when UserID is
// set.
type UsageFilter struct {
	From, To time.Time
	By       string
	UserID   *int64
}

// UsageRow is one line of a report. Key is the user id, the group id (as
// decimal text), the model name or the UTC day (YYYY-MM-DD).
type UsageRow struct {
	Key                                               string
	Requests, PromptTokens, OutputTokens, TotalTokens int64
}

// TokenQuota is a token budget override: nil in a period leaves that period to
// the other rules; 0 means no limit.
type TokenQuota struct {
	Daily, Monthly *int64
}

// QuotaOverride is an override as the admin lists them.
type QuotaOverride struct {
	Subject string // "user" or "group"
	ID      int64
	TokenQuota
}

// RoomAssistant is a conversation's own settings; empty Model and
// SystemPrompt mean the server's defaults.
type RoomAssistant struct {
	RoomID       int64
	Model        string
	SystemPrompt string
	Grounding    bool
}

// AssistantRun is the reply in flight in a room, as every instance sees it.
type AssistantRun struct {
	RoomID  int64
	RunID   string
	UserID  int64
	ReplyTo int64
	// Body is the reply's text so far.
	Body          string
	StopRequested bool
	LeaseUntil    time.Time
	StartedAt     time.Time
}

// AssistantStore keeps the assistant's team features: usage, quotas,
// per-room settings, model limits and the replies in flight.
type AssistantStore interface {
	// RecordUsage inserts u (its day is the UTC date of CreatedAt).
	RecordUsage(ctx context.Context, u AssistantUsage) (AssistantUsage, error)
	// TokensUsed returns userID's total tokens since day and since month
	// (day >= month is expected).
	TokensUsed(ctx context.Context, userID int64, day, month time.Time) (sinceDay, sinceMonth int64, err error)
	// UsageReport sums usage by f.By, ordered by key. By group counts a
	// request once in each group its user belongs to now.
	UsageReport(ctx context.Context, f UsageFilter) ([]UsageRow, error)
	// UsageOfMessages returns the usage rows of the given reply messages,
	// by message id.
	UsageOfMessages(ctx context.Context, messageIDs []int64) (map[int64]AssistantUsage, error)

	// SetUserQuota and SetGroupQuota set an override (both periods nil:
	// remove it). ErrNotFound for a missing user or group.
	SetUserQuota(ctx context.Context, userID int64, q TokenQuota) error
	SetGroupQuota(ctx context.Context, groupID int64, q TokenQuota) error
	// QuotasOf returns userID's own override (nil if none) and the
	// overrides of the groups userID belongs to.
	QuotasOf(ctx context.Context, userID int64) (*TokenQuota, []TokenQuota, error)
	// QuotaOverrides lists every override, users first, by id.
	QuotaOverrides(ctx context.Context) ([]QuotaOverride, error)

	// RoomAssistant returns a room's settings (zero settings, no error,
	// when none were set).
	RoomAssistant(ctx context.Context, roomID int64) (RoomAssistant, error)
	// SetRoomAssistant stores a room's settings.
	SetRoomAssistant(ctx context.Context, r RoomAssistant) error
	// ModelGroups returns, per model, the groups it is limited to (models
	// not listed are not limited).
	ModelGroups(ctx context.Context) (map[string][]int64, error)
	// SetModelGroups limits model to groupIDs (empty: no limit).
	SetModelGroups(ctx context.Context, model string, groupIDs []int64) error

	// ClaimRun makes run the room's reply in flight. A live run (lease
	// not passed at now) → ErrConflict; an abandoned one is removed and
	// returned, for the caller to mark failed.
	ClaimRun(ctx context.Context, run AssistantRun, now time.Time) (abandoned *AssistantRun, err error)
	// UpdateRun stores the message answered and the text so far, extends
	// the lease of the run runID of roomID, and reports whether a stop was
	// asked. ErrNotFound
	// when the run is no longer the room's (taken over as abandoned).
	UpdateRun(ctx context.Context, roomID int64, runID string, replyTo int64, body string, leaseUntil time.Time) (stop bool, err error)
	// EndRun removes the run (no error if it is gone).
	EndRun(ctx context.Context, roomID int64, runID string) error
	// RunOf returns the room's run in flight (ErrNotFound if none).
	RunOf(ctx context.Context, roomID int64) (AssistantRun, error)
	// RequestStop marks the room's run to stop. ErrNotFound if none.
	RequestStop(ctx context.Context, roomID int64) error
	// TakeAbandonedRuns removes and returns the runs whose lease passed
	// at now: each is returned to one caller only.
	TakeAbandonedRuns(ctx context.Context, now time.Time) ([]AssistantRun, error)
}

// EAssistantQuotaExceeded is the error code of a request refused because
// a token budget of the assistant is spent (429 with Retry-After until it
// resets). It is kept here, not in errors.go's aligned block, so that the
// team features stay in one file.
const EAssistantQuotaExceeded = "ASSISTANT_QUOTA_EXCEEDED"
