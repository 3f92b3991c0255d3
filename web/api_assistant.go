package web

import (
	"context"
	"encoding/csv"
	"net/http"
	"strconv"
	"time"

	"github.com/toriihq/torii"
	"github.com/toriihq/torii/service"
)

// The assistant's team endpoints (docs/api.md "Gemini for a team").

// replyJSON is the part of a message object only assistant replies have.
type replyJSON struct {
	Model   string                    `json:"model,omitempty"`
	Usage   *usageJSON                `json:"usage,omitempty"`
	Sources []service.AssistantSource `json:"sources,omitempty"`
}

type usageJSON struct {
	PromptTokens   int64 `json:"promptTokens"`
	OutputTokens   int64 `json:"outputTokens"`
	ThoughtsTokens int64 `json:"thoughtsTokens"`
	TotalTokens    int64 `json:"totalTokens"`
}

func replyOf(m service.ChatMessage) replyJSON {
	if m.Assistant == nil {
		return replyJSON{}
	}
	u := m.Assistant.Usage
	return replyJSON{Model: m.Assistant.Model, Sources: m.Assistant.Sources,
		Usage: &usageJSON{PromptTokens: u.Prompt, OutputTokens: u.Output, ThoughtsTokens: u.Thoughts, TotalTokens: u.Total}}
}

// assistantPatchJSON is the assistant part of PATCH /api/v1/rooms/{id}. A
// handler that also takes other room fields embeds it and calls
// applyAssistantPatch when present() says some were sent.
type assistantPatchJSON struct {
	Model        *string `json:"model"`
	SystemPrompt *string `json:"systemPrompt"`
	Grounding    *bool   `json:"grounding"`
}

func (a assistantPatchJSON) patch() service.AssistantPatch {
	return service.AssistantPatch{Model: a.Model, SystemPrompt: a.SystemPrompt, Grounding: a.Grounding}
}

func (a assistantPatchJSON) present() bool { return !a.patch().Empty() }

type roomSettingsJSON struct {
	Model        string `json:"model"`
	SystemPrompt string `json:"systemPrompt"`
	Grounding    bool   `json:"grounding"`
}

func settingsOf(rs service.RoomSettings) roomSettingsJSON {
	return roomSettingsJSON{Model: rs.Model, SystemPrompt: rs.SystemPrompt, Grounding: rs.Grounding}
}

// applyAssistantPatch applies the assistant fields of a PATCH and returns
// the room object with its settings.
func (s *Server) applyAssistantPatch(r *http.Request, p service.Principal, id int64, in assistantPatchJSON) (map[string]any, error) {
	rs, err := s.svc.UpdateAssistantSettings(r.Context(), p, id, in.patch(), s.meta(r))
	if err != nil {
		return nil, err
	}
	return s.roomWithSettings(r, p, id, &rs)
}

func (s *Server) roomWithSettings(r *http.Request, p service.Principal, id int64, rs *service.RoomSettings) (map[string]any, error) {
	room, err := s.svc.Room(r.Context(), p, id)
	if err != nil {
		return nil, err
	}
	out := map[string]any{"room": roomOf(room)}
	if rs != nil {
		out["assistant"] = settingsOf(*rs)
	}
	return out, nil
}

type modelJSON struct {
	Name     string  `json:"name"`
	Default  bool    `json:"default"`
	GroupIDs []int64 `json:"groupIds,omitempty"`
}

func modelsOf(ms []service.OfferedModel) []modelJSON {
	out := make([]modelJSON, len(ms))
	for i, m := range ms {
		out[i] = modelJSON{Name: m.Name, Default: m.Default, GroupIDs: m.GroupIDs}
	}
	return out
}

// roomAssistant is GET /api/v1/rooms/{id}/assistant: the conversation's
// settings and the models its viewer may pick.
func (s *Server) roomAssistant(w http.ResponseWriter, r *http.Request, p service.Principal) error {
	id, err := roomID(r)
	if err != nil {
		return err
	}
	rs, err := s.svc.AssistantSettings(r.Context(), p, id)
	if err != nil {
		return err
	}
	ms, err := s.svc.ModelsFor(r.Context(), p)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"assistant": settingsOf(rs), "models": modelsOf(ms)})
	return nil
}

// myModels is GET /api/v1/assistant/models: the models offered to the caller.
func (s *Server) myModels(w http.ResponseWriter, r *http.Request, p service.Principal) error {
	ms, err := s.svc.ModelsFor(r.Context(), p)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"models": modelsOf(ms)})
	return nil
}

type usageRowJSON struct {
	Key          string `json:"key"`
	Label        string `json:"label,omitempty"`
	Requests     int64  `json:"requests"`
	PromptTokens int64  `json:"promptTokens"`
	OutputTokens int64  `json:"outputTokens"`
	TotalTokens  int64  `json:"totalTokens"`
}

func usageQuery(r *http.Request) service.UsageQuery {
	q := r.URL.Query()
	return service.UsageQuery{From: q.Get("from"), To: q.Get("to"), By: q.Get("by")}
}

// writeUsage answers rows as JSON, or CSV with ?format=csv.
func writeUsage(w http.ResponseWriter, r *http.Request, rows []service.UsageLine, extra map[string]any) error {
	switch r.URL.Query().Get("format") {
	case "", "json":
	case "csv":
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		w.Header().Set("Content-Disposition", `attachment; filename="torii-usage.csv"`)
		cw := csv.NewWriter(w)
		cw.Write([]string{"key", "label", "requests", "promptTokens", "outputTokens", "totalTokens"})
		for _, x := range rows {
			cw.Write([]string{csvSafe(x.Key), csvSafe(x.Label), strconv.FormatInt(x.Requests, 10), strconv.FormatInt(x.PromptTokens, 10),
				strconv.FormatInt(x.OutputTokens, 10), strconv.FormatInt(x.TotalTokens, 10)})
		}
		cw.Flush()
		return cw.Error()
	default:
		return torii.Invalid(map[string]string{"format": "must be json or csv"})
	}
	out := make([]usageRowJSON, len(rows))
	for i, x := range rows {
		out[i] = usageRowJSON{Key: x.Key, Label: x.Label, Requests: x.Requests, PromptTokens: x.PromptTokens,
			OutputTokens: x.OutputTokens, TotalTokens: x.TotalTokens}
	}
	body := map[string]any{"rows": out}
	for k, v := range extra {
		body[k] = v
	}
	writeJSON(w, http.StatusOK, body)
	return nil
}

// csvSafe keeps a spreadsheet from reading a cell as a formula (a group
// name is user input).
func csvSafe(s string) string {
	if s != "" && (s[0] == '=' || s[0] == '+' || s[0] == '-' || s[0] == '@' || s[0] == '\t' || s[0] == '\r') {
		return "'" + s
	}
	return s
}

type quotaJSON struct {
	Daily       int64     `json:"daily"`
	Monthly     int64     `json:"monthly"`
	UsedToday   int64     `json:"usedToday"`
	UsedMonth   int64     `json:"usedThisMonth"`
	DayResets   time.Time `json:"dayResetsAt"`
	MonthResets time.Time `json:"monthResetsAt"`
}

// myUsage is GET /api/v1/me/usage?from=&to=&by=model|day: the caller's
// usage rows, and their budgets with what is used of them.
func (s *Server) myUsage(w http.ResponseWriter, r *http.Request, p service.Principal) error {
	rows, err := s.svc.MyUsage(r.Context(), p, usageQuery(r))
	if err != nil {
		return err
	}
	q, err := s.svc.MyQuota(r.Context(), p)
	if err != nil {
		return err
	}
	return writeUsage(w, r, rows, map[string]any{"quota": quotaJSON{Daily: q.Daily, Monthly: q.Monthly,
		UsedToday: q.UsedToday, UsedMonth: q.UsedMonth, DayResets: q.DayResets, MonthResets: q.MonthResets}})
}

// adminUsage is GET /api/v1/admin/usage?from=&to=&by=user|group|model|day[&format=csv].
func (s *Server) adminUsage(w http.ResponseWriter, r *http.Request, by service.Actor) error {
	rows, err := s.svc.AdminUsage(r.Context(), by, usageQuery(r))
	if err != nil {
		return err
	}
	return writeUsage(w, r, rows, nil)
}

type quotaInputJSON struct {
	Daily   *int64 `json:"daily"`
	Monthly *int64 `json:"monthly"`
}

func quotaTarget(r *http.Request) (int64, error) {
	return pathID(r, "id")
}

// adminSetUserQuota is PUT /api/v1/admin/quotas/users/{id} {"daily",
// "monthly"}: tokens, 0 = no limit, null = no override for that period.
func (s *Server) adminSetUserQuota(w http.ResponseWriter, r *http.Request, by service.Actor) error {
	return s.setQuota(w, r, by, s.svc.SetUserQuota)
}

// adminSetGroupQuota is PUT /api/v1/admin/quotas/groups/{id}.
func (s *Server) adminSetGroupQuota(w http.ResponseWriter, r *http.Request, by service.Actor) error {
	return s.setQuota(w, r, by, s.svc.SetGroupQuota)
}

func (s *Server) setQuota(w http.ResponseWriter, r *http.Request, by service.Actor,
	set func(ctx context.Context, by service.Actor, id int64, in service.QuotaInput) error) error {
	id, err := quotaTarget(r)
	if err != nil {
		return err
	}
	var in quotaInputJSON
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	if err := set(r.Context(), by, id, service.QuotaInput{Daily: in.Daily, Monthly: in.Monthly}); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"quota": in})
	return nil
}

// adminQuotas is GET /api/v1/admin/quotas: the defaults and every override.
func (s *Server) adminQuotas(w http.ResponseWriter, r *http.Request, by service.Actor) error {
	os, err := s.svc.QuotaOverrides(r.Context(), by)
	if err != nil {
		return err
	}
	type overrideJSON struct {
		Subject string `json:"subject"`
		ID      int64  `json:"id"`
		Daily   *int64 `json:"daily"`
		Monthly *int64 `json:"monthly"`
	}
	out := make([]overrideJSON, len(os))
	for i, o := range os {
		out[i] = overrideJSON{Subject: o.Subject, ID: o.ID, Daily: o.Daily, Monthly: o.Monthly}
	}
	d, m := s.svc.QuotaDefaults()
	writeJSON(w, http.StatusOK, map[string]any{"defaults": map[string]int64{"daily": d, "monthly": m}, "overrides": out})
	return nil
}

// adminModels is GET /api/v1/admin/models: every model and its groups.
func (s *Server) adminModels(w http.ResponseWriter, r *http.Request, by service.Actor) error {
	ms, err := s.svc.AdminModels(r.Context(), by)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"models": modelsOf(ms)})
	return nil
}

// adminLimitModel is PUT /api/v1/admin/models/{model}/groups
// {"groupIds": [...]} ([] offers the model to everyone).
func (s *Server) adminLimitModel(w http.ResponseWriter, r *http.Request, by service.Actor) error {
	var in struct {
		GroupIDs []int64 `json:"groupIds"`
	}
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	if err := s.svc.LimitModel(r.Context(), by, r.PathValue("model"), in.GroupIDs); err != nil {
		return err
	}
	return s.adminModels(w, r, by)
}
