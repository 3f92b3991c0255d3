package torii

// Assistant error codes: why a reply failed. They travel to the page in
// assistant.error events (docs/api.md), so they never change once
// published. This is their one list: the Gemini client classifies its
// failures into them and the service adds the two it produces itself
// (AssistantCancelled, AssistantFailed).
const (
	// AssistantTimeout: the whole reply took longer than its bound.
	AssistantTimeout = "ASSISTANT_TIMEOUT"
	// AssistantQuota: the model's provider answered 429 (quota or rate
	// exhausted).
	AssistantQuota = "ASSISTANT_QUOTA"
	// AssistantBlocked: the prompt or the reply was blocked by safety or
	// policy filters.
	AssistantBlocked = "ASSISTANT_BLOCKED"
	// AssistantMisconfigured: the provider refused the key or the
	// credentials, or does not know the model.
	AssistantMisconfigured = "ASSISTANT_MISCONFIGURED"
	// AssistantUnavailable: the provider could not be reached, or answered
	// 5xx.
	AssistantUnavailable = "ASSISTANT_UNAVAILABLE"
	// AssistantInterrupted: the reply stopped before the provider said it
	// was finished.
	AssistantInterrupted = "ASSISTANT_INTERRUPTED"
	// AssistantCancelled: the reply was stopped (stop endpoint, shutdown).
	AssistantCancelled = "ASSISTANT_CANCELLED"
	// AssistantFailed: anything else the model refused or failed at;
	// details only in the log.
	AssistantFailed = "ASSISTANT_ERROR"
)
