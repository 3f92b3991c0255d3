package service

import (
	"context"
	"errors"
	"iter"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/toriihq/torii"
)

// AssistantTeam are the assistant's team settings (docs/api.md "Gemini for
// a team"). The zero value offers one unnamed default model, sets no
// quota and leases replies for DefaultAssistantLease.
type AssistantTeam struct {
	// Models are the models users may pick (TORII_GEMINI_MODELS); the
	// first is the default. Empty: only the model's own default, recorded
	// as DefaultModelName.
	Models []string
	// QuotaDaily and QuotaMonthly are the default token budgets per user
	// (TORII_ASSISTANT_QUOTA_DAILY, _MONTHLY); 0 = no limit.
	QuotaDaily, QuotaMonthly int64
	// Lease bounds how long a reply abandoned by a crashed instance keeps
	// its room busy (TORII_ASSISTANT_LEASE). Default DefaultAssistantLease.
	Lease time.Duration
}

// DefaultAssistantLease is the default AssistantTeam.Lease: the instance
// running a reply renews it every third of it.
const DefaultAssistantLease = 30 * time.Second

// DefaultModelName names the model in usage when no model list is set.
const DefaultModelName = "default"

// maxSystemPromptRunes bounds a conversation's system instruction.
const maxSystemPromptRunes = 4000

// AssistantRequest is what a conversation asks of the model beyond its
// history: empty fields mean the model's defaults.
type AssistantRequest struct {
	Model        string
	SystemPrompt string
	Grounding    bool
}

// AssistantTokens are a request's token counts (the API's UsageMetadata).
type AssistantTokens struct {
	Prompt, Output, Thoughts, Total int64
}

// AssistantSource is a web page a grounded reply used.
type AssistantSource struct {
	Title string `json:"title"`
	URI   string `json:"uri"`
}

// AssistantChunk is one piece of a reply: text, and the usage and sources
// when the model reports them.
type AssistantChunk struct {
	Text    string
	Usage   *AssistantTokens
	Sources []AssistantSource
}

// AssistantReplier is an AssistantModel that also takes a conversation's
// settings and reports usage; app's Gemini model is one. A model that is
// only an AssistantModel gets no settings and reports no tokens.
type AssistantReplier interface {
	Reply(ctx context.Context, history []AssistantTurn, req AssistantRequest) iter.Seq2[AssistantChunk, error]
}

// replyStream asks the configured model, with req when it takes settings.
func (s *Service) replyStream(ctx context.Context, history []AssistantTurn, req AssistantRequest) iter.Seq2[AssistantChunk, error] {
	if r, ok := s.opts.Assistant.(AssistantReplier); ok {
		return r.Reply(ctx, history, req)
	}
	return func(yield func(AssistantChunk, error) bool) {
		for text, err := range s.opts.Assistant.Stream(ctx, history) {
			if !yield(AssistantChunk{Text: text}, err) || err != nil {
				return
			}
		}
	}
}

// defaultModel is the model of conversations that picked none.
func (s *Service) defaultModel() string {
	if len(s.opts.Models) > 0 {
		return s.opts.Models[0]
	}
	return DefaultModelName
}

// OfferedModel is a model a user may pick.
type OfferedModel struct {
	Name    string
	Default bool
	// GroupIDs are the groups the model is limited to (admin view; nil
	// for everyone).
	GroupIDs []int64
}

// ModelsFor lists the models offered to p: every configured model that is
// not limited to groups, and those limited to a group p belongs to. The
// default model is always offered (it answers conversations that picked
// none, so limiting it would limit nothing).
func (s *Service) ModelsFor(ctx context.Context, p Principal) ([]OfferedModel, error) {
	if !s.AssistantEnabled() {
		return nil, errAssistantOff
	}
	limits, err := s.store.ModelGroups(ctx)
	if err != nil {
		return nil, err
	}
	mine := map[int64]bool{}
	if len(limits) > 0 {
		ms, err := s.store.UserGroups(ctx, p.User.ID)
		if err != nil {
			return nil, err
		}
		for _, m := range ms {
			mine[m.Group.ID] = true
		}
	}
	out := []OfferedModel{}
	for i, m := range s.modelList() {
		gs := limits[m]
		if i == 0 || len(gs) == 0 || slices.ContainsFunc(gs, func(id int64) bool { return mine[id] }) {
			out = append(out, OfferedModel{Name: m, Default: i == 0})
		}
	}
	return out, nil
}

func (s *Service) modelList() []string {
	if len(s.opts.Models) > 0 {
		return s.opts.Models
	}
	return []string{DefaultModelName}
}

// AdminModels lists every configured model with the groups it is limited
// to. Admins only.
func (s *Service) AdminModels(ctx context.Context, by Actor) ([]OfferedModel, error) {
	if err := needAdmin(by); err != nil {
		return nil, err
	}
	limits, err := s.store.ModelGroups(ctx)
	if err != nil {
		return nil, err
	}
	out := []OfferedModel{}
	for i, m := range s.modelList() {
		out = append(out, OfferedModel{Name: m, Default: i == 0, GroupIDs: limits[m]})
	}
	return out, nil
}

// LimitModel limits model to groupIDs (empty: offered to everyone). Admins
// only; an unknown model or group is VALIDATION_ERROR.
func (s *Service) LimitModel(ctx context.Context, by Actor, model string, groupIDs []int64) error {
	if err := needAdmin(by); err != nil {
		return err
	}
	if !slices.Contains(s.modelList(), model) {
		return torii.Invalid(map[string]string{"model": "is not one of TORII_GEMINI_MODELS"})
	}
	if len(groupIDs) > 100 {
		return torii.Invalid(map[string]string{"groupIds": "must hold at most 100 groups"})
	}
	for _, id := range groupIDs {
		if _, err := s.store.GroupByID(ctx, id); err != nil {
			if errors.Is(err, torii.ErrNotFound) {
				return torii.Invalid(map[string]string{"groupIds": "names a group that does not exist"})
			}
			return err
		}
	}
	if err := s.store.SetModelGroups(ctx, model, groupIDs); err != nil {
		return err
	}
	s.audit(ctx, torii.AuditAssistantModel, by.UserID, by.Email, by.Meta, map[string]any{"model": model, "groupIds": groupIDs})
	return nil
}

// RoomSettings are a conversation's assistant settings, resolved: Model is
// never empty, SystemPrompt is empty when the server's default applies.
type RoomSettings struct {
	Model        string
	SystemPrompt string
	Grounding    bool
}

// AssistantSettings returns the settings of assistant room roomID as p
// sees them.
func (s *Service) AssistantSettings(ctx context.Context, p Principal, roomID int64) (RoomSettings, error) {
	r, err := s.Room(ctx, p, roomID)
	if err != nil {
		return RoomSettings{}, err
	}
	return s.roomSettings(ctx, r.ID)
}

func (s *Service) roomSettings(ctx context.Context, roomID int64) (RoomSettings, error) {
	ra, err := s.store.RoomAssistant(ctx, roomID)
	if err != nil {
		return RoomSettings{}, err
	}
	out := RoomSettings{Model: ra.Model, SystemPrompt: ra.SystemPrompt, Grounding: ra.Grounding}
	// A model dropped from TORII_GEMINI_MODELS falls back to the default.
	if out.Model == "" || !slices.Contains(s.modelList(), out.Model) {
		out.Model = s.defaultModel()
	}
	return out, nil
}

// AssistantPatch is the assistant part of PATCH /api/v1/rooms/{id}: nil
// fields are left as they are.
type AssistantPatch struct {
	Model        *string
	SystemPrompt *string
	Grounding    *bool
}

// Empty reports whether the patch changes nothing.
func (a AssistantPatch) Empty() bool {
	return a.Model == nil && a.SystemPrompt == nil && a.Grounding == nil
}

// UpdateAssistantSettings applies patch to assistant room roomID. Only
// the room's creator may (FORBIDDEN; NOT_FOUND if p cannot see it); a
// room without the assistant, a model not offered to p, or a system
// instruction over 4,000 characters is VALIDATION_ERROR. A change is
// audited (room.assistant.update: which fields changed, and the model
// and grounding; never the instruction's text).
func (s *Service) UpdateAssistantSettings(ctx context.Context, p Principal, roomID int64, patch AssistantPatch, meta Meta) (RoomSettings, error) {
	r, err := s.Room(ctx, p, roomID)
	if err != nil {
		return RoomSettings{}, err
	}
	if r.CreatedBy == nil || *r.CreatedBy != p.User.ID {
		return RoomSettings{}, torii.Errorf(torii.EForbidden, "Only the conversation's owner can change its model and instructions.")
	}
	if !r.Assistant {
		return RoomSettings{}, torii.Invalid(map[string]string{"model": "is only for assistant rooms"})
	}
	if !s.AssistantEnabled() {
		return RoomSettings{}, errAssistantOff
	}
	cur, err := s.store.RoomAssistant(ctx, r.ID)
	if err != nil {
		return RoomSettings{}, err
	}
	before := cur
	f := fieldErrors{}
	if patch.Model != nil {
		offered, err := s.ModelsFor(ctx, p)
		if err != nil {
			return RoomSettings{}, err
		}
		if !slices.ContainsFunc(offered, func(m OfferedModel) bool { return m.Name == *patch.Model }) {
			f["model"] = "is not offered to you"
		}
		cur.Model = *patch.Model
	}
	if patch.SystemPrompt != nil {
		sp := strings.TrimSpace(*patch.SystemPrompt)
		switch {
		case utf8.RuneCountInString(sp) > maxSystemPromptRunes:
			f["systemPrompt"] = "must be at most 4000 characters"
		case !utf8.ValidString(sp) || strings.ContainsRune(sp, 0):
			f["systemPrompt"] = "must be text"
		}
		cur.SystemPrompt = sp
	}
	if patch.Grounding != nil {
		cur.Grounding = *patch.Grounding
	}
	if err := f.err(); err != nil {
		return RoomSettings{}, err
	}
	cur.RoomID = r.ID
	if err := s.store.SetRoomAssistant(ctx, cur); err != nil {
		return RoomSettings{}, err
	}
	changed := map[string]any{"roomId": r.ID}
	if cur.Model != before.Model {
		changed["model"] = cur.Model
	}
	if cur.SystemPrompt != before.SystemPrompt {
		changed["systemPrompt"] = true
	}
	if cur.Grounding != before.Grounding {
		changed["grounding"] = cur.Grounding
	}
	if len(changed) > 1 {
		s.audit(ctx, torii.AuditRoomAssistant, &p.User.ID, p.User.Email, meta, changed)
	}
	return s.roomSettings(ctx, r.ID)
}

// assistantRequest is what reply asks the model for room roomID: the
// model name is sent only when a list is configured (else the client's
// own default answers).
func (s *Service) assistantRequest(ctx context.Context, roomID int64) (AssistantRequest, string, error) {
	rs, err := s.roomSettings(ctx, roomID)
	if err != nil {
		return AssistantRequest{}, "", err
	}
	req := AssistantRequest{SystemPrompt: rs.SystemPrompt, Grounding: rs.Grounding}
	if len(s.opts.Models) > 0 {
		req.Model = rs.Model
	}
	return req, rs.Model, nil
}
