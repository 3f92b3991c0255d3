package service

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/toriihq/torii"
	"github.com/toriihq/torii/chat"
)

// Assistant limits (docs/api.md "Assistant").
const (
	// assistantHistory is how many of a room's latest messages are offered
	// to the model as context (the model's budget trims further).
	assistantHistory = 100
	// deltaBytes bounds the text of one assistant.delta event, so that even
	// fully escaped JSON (6 bytes a byte) fits in chat.MaxDataSize.
	deltaBytes = 900
	// replySettle bounds storing and announcing a reply after its stream
	// ended, even when the server is shutting down.
	replySettle = 5 * time.Second
)

var (
	errAssistantBusy = &torii.Error{Code: torii.ERateLimited, RetryAfter: time.Second,
		Message: "Gemini is still answering in this room. Wait for the reply or stop it."}
	errStopOthers = torii.Errorf(torii.EForbidden, "Only the person who asked can stop this reply.")
	// errStopped is the cause of a reply stopped by the stop endpoint.
	errStopped = errors.New("assistant: stopped")
)

// assistantRuns tracks the replies in flight: at most one per room, each
// cancellable by its asker and all of them by Close.
type assistantRuns struct {
	mu     sync.Mutex
	rooms  map[int64]*assistantRun
	closed bool
	// closeBy is the shutdown's deadline: replies store what they have
	// before it (zero: none).
	closeBy time.Time
	wg      sync.WaitGroup
}

// assistantRun is one reply: reserved before the asking message is stored,
// started after.
type assistantRun struct {
	userID int64
	ctx    context.Context
	cancel context.CancelCauseFunc
	// id names the run's row in assistant_runs (assistant_runs.go).
	id      string
	endOnce sync.Once
	// mu guards the message answered and the text so far, which the
	// lease renewal writes to the row.
	mu      sync.Mutex
	replyTo int64
	text    string
}

// reserveAssistant claims roomID's one reply slot for p, on this instance
// and in the database, and counts the request against p's limit and
// budget. A spent budget → ASSISTANT_QUOTA_EXCEEDED; busy room (on any
// instance) or too many requests → RATE_LIMITED. The caller must start or
// release the run.
func (s *Service) reserveAssistant(ctx context.Context, p Principal, roomID int64) (*assistantRun, error) {
	if err := s.checkQuota(ctx, p); err != nil {
		return nil, err
	}
	id, err := newRunID(s.rand)
	if err != nil {
		return nil, err
	}
	run, err := s.reserveLocal(ctx, p, roomID)
	if err != nil {
		return nil, err
	}
	run.id = id
	if err := s.claimRun(ctx, roomID, run); err != nil {
		run.endOnce.Do(func() {}) // the row is not ours
		s.releaseAssistant(roomID, run)
		return nil, err
	}
	return run, nil
}

// reserveLocal claims roomID's slot on this instance.
func (s *Service) reserveLocal(ctx context.Context, p Principal, roomID int64) (*assistantRun, error) {
	a := &s.assistant
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.closed {
		return nil, torii.Errorf(torii.EServiceUnavailable, "The server is shutting down.")
	}
	if a.rooms[roomID] != nil {
		return nil, errAssistantBusy
	}
	if ok, retry := allow(s.opts.AssistantPerUser, strconv.FormatInt(p.User.ID, 10)); !ok {
		return nil, &torii.Error{Code: torii.ERateLimited, RetryAfter: retry,
			Message: "You have asked Gemini too often. Try again in a moment."}
	}
	// The reply outlives the request (it keeps its values: the request
	// id), and ends with Close.
	rctx, cancel := context.WithCancelCause(context.WithoutCancel(ctx))
	run := &assistantRun{userID: p.User.ID, ctx: rctx, cancel: cancel}
	if a.rooms == nil {
		a.rooms = map[int64]*assistantRun{}
	}
	a.rooms[roomID] = run
	a.wg.Add(1)
	return run, nil
}

// releaseAssistant frees roomID's slot held by run.
func (s *Service) releaseAssistant(roomID int64, run *assistantRun) {
	s.freeAssistantSlot(roomID, run)
	run.cancel(nil)
	s.assistant.wg.Done()
}

// freeAssistantSlot lets roomID ask again, here and in the database.
// reply calls it before its last event, so that a client that saw
// assistant.done (or .error) may ask at once; it may be called more than
// once.
func (s *Service) freeAssistantSlot(roomID int64, run *assistantRun) {
	s.endRun(roomID, run)
	a := &s.assistant
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.rooms[roomID] == run {
		delete(a.rooms, roomID)
	}
}

// StopAssistant stops the reply streaming in roomID, if any: its text so
// far is stored as incomplete and assistant.error ASSISTANT_CANCELLED
// follows. Only the user who asked may stop it, from any of their devices
// (FORBIDDEN for others); a room p cannot see is NOT_FOUND. No reply in
// flight is not an error. A reply running on another instance stops
// within renewEvery (it reads the stop flag from the database).
func (s *Service) StopAssistant(ctx context.Context, p Principal, roomID int64) error {
	if _, err := s.Room(ctx, p, roomID); err != nil {
		return err
	}
	a := &s.assistant
	a.mu.Lock()
	run := a.rooms[roomID]
	a.mu.Unlock()
	if run == nil {
		return s.stopRemote(ctx, p, roomID)
	}
	if run.userID != p.User.ID {
		return errStopOthers
	}
	run.cancel(errStopped)
	return nil
}

// CloseAssistant cancels every reply in flight and waits, until ctx ends,
// for them to store what they have (their store writes end at ctx's
// deadline too). Later requests to the assistant answer
// SERVICE_UNAVAILABLE. Call it at shutdown, before the store closes.
func (s *Service) CloseAssistant(ctx context.Context) error {
	a := &s.assistant
	a.mu.Lock()
	a.closed = true
	a.closeBy, _ = ctx.Deadline()
	for _, run := range a.rooms {
		run.cancel(errors.New("assistant: server shutting down"))
	}
	a.mu.Unlock()
	done := make(chan struct{})
	go func() { a.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// reply streams the model's answer to asked into room r: assistant.delta
// events as text arrives, then the reply stored and announced, then
// assistant.done; or assistant.error on failure (with whatever text came
// stored first). It runs on its own goroutine and releases run.
func (s *Service) reply(r torii.Room, asked ChatMessage, run *assistantRun) {
	defer s.releaseAssistant(r.ID, run)
	defer s.recoverReply(r.ID, asked.ID, run)
	ctx := run.ctx
	run.mu.Lock()
	run.replyTo = asked.ID
	run.mu.Unlock()
	s.saveRun(ctx, r.ID, run)
	renewDone := make(chan struct{})
	defer close(renewDone)
	go s.renewRun(r.ID, run, renewDone)
	var text strings.Builder
	var failure error
	var usage *AssistantTokens
	var sources []AssistantSource
	offset := 0
	req, model, err := s.assistantRequest(ctx, r.ID)
	var history []AssistantTurn
	if err == nil {
		history, err = s.assistantHistory(ctx, r.ID, asked.ID)
	}
	if err != nil {
		failure = err
	} else {
		for ch, err := range s.replyStream(ctx, history, req) {
			if err != nil {
				failure = err
				break
			}
			if ch.Usage != nil {
				usage = ch.Usage
			}
			sources = appendSources(sources, ch.Sources)
			if ch.Text == "" {
				continue
			}
			text.WriteString(ch.Text)
			run.mu.Lock()
			run.text = text.String()
			run.mu.Unlock()
			// Written before it is published: a stream that opens now
			// reads it from the row (assistant_runs.go).
			s.saveRun(ctx, r.ID, run)
			s.publishDelta(ctx, r.ID, asked.ID, ch.Text, offset, run.userID)
			offset += utf16Len(ch.Text)
		}
	}
	if failure == nil && ctx.Err() != nil {
		failure = context.Cause(ctx)
	}
	if errors.Is(context.Cause(ctx), errRunLost) {
		// Another instance took the run over as abandoned and told the
		// room: storing it here too would show it twice.
		s.log.Warn("assistant reply taken over by another instance", "room", r.ID, "reply_to", asked.ID)
		return
	}
	// Storing and announcing must happen even when the reply was
	// cancelled (stop, shutdown), within a bound.
	sctx, cancel := s.settleContext(ctx)
	defer cancel()
	status := torii.MessageComplete
	var ae *AssistantError
	if failure != nil {
		ae = assistantError(failure)
		if ctx.Err() != nil {
			ae = &AssistantError{Code: torii.AssistantCancelled, Message: "The reply was stopped.", Err: context.Cause(ctx)}
		}
		status = torii.MessageIncomplete
		if ae.Blocked {
			status = torii.MessageError
		}
	}
	log := s.log.With("request_id", torii.RequestID(ctx), "room", r.ID, "reply_to", asked.ID)
	// The last event: the room's slot is free before anyone hears of it.
	last := func(kind string, v map[string]any) {
		s.freeAssistantSlot(r.ID, run)
		s.publishAssistant(sctx, r.ID, kind, v)
	}
	var stored *ChatMessage
	if text.Len() > 0 || usage != nil {
		cost := replyCost{userID: run.userID, model: model, usage: usage, sources: sources}
		m, err := s.storeReply(sctx, r.ID, asked.ID, text.String(), status, cost)
		if err != nil {
			log.Error("assistant reply not stored", "err", err)
			if ae == nil {
				ae = assistantError(err)
				ae.Message = "The reply could not be saved."
			}
		} else if m != nil {
			stored = m
		}
	}
	if ae != nil {
		log.Warn("assistant reply failed", "code", ae.Code, "err", ae, "chars", text.Len(), "stored", stored != nil)
		last(chat.KindAssistantError, map[string]any{
			"replyTo": asked.ID, "code": ae.Code, "message": ae.Message})
		return
	}
	if stored == nil {
		// The model finished without a word: say so rather than leave the
		// page waiting.
		log.Warn("assistant reply empty")
		last(chat.KindAssistantError, map[string]any{
			"replyTo": asked.ID, "code": torii.AssistantFailed, "message": "Gemini gave an empty answer."})
		return
	}
	if status == torii.MessageComplete {
		s.startTitle(r, asked, stored.Body, req, model, run.userID)
	}
	last(chat.KindAssistantDone, map[string]any{"replyTo": asked.ID, "messageId": stored.ID})
}

// assistantHistory returns the room's latest messages up to and including
// asked, oldest first, as model turns. Replies that failed (status error)
// are left out: the model should not build on what it was stopped from
// saying.
func (s *Service) assistantHistory(ctx context.Context, roomID, asked int64) ([]AssistantTurn, error) {
	ms, err := s.store.MessagesBefore(ctx, roomID, asked+1, assistantHistory)
	if err != nil {
		return nil, err
	}
	cms, err := s.withAuthors(ctx, ms)
	if err != nil {
		return nil, err
	}
	turns := make([]AssistantTurn, 0, len(cms))
	for i := len(cms) - 1; i >= 0; i-- {
		m := cms[i]
		if m.Status == torii.MessageError {
			continue
		}
		t := AssistantTurn{Model: m.Author == torii.AuthorAssistant, Text: m.Body}
		if !t.Model {
			t.Name = "someone"
			if m.User != nil {
				t.Name = m.User.Name
			}
		}
		turns = append(turns, t)
	}
	return turns, nil
}

// publishDelta sends chunk, which starts at offset (UTF-16 units) in the
// reply, as one or more assistant.delta events.
func (s *Service) publishDelta(ctx context.Context, roomID, replyTo int64, chunk string, offset int, askedBy int64) {
	for chunk != "" {
		n := len(chunk)
		if n > deltaBytes {
			n = deltaBytes
			for n > 0 && !utf8.RuneStart(chunk[n]) {
				n--
			}
		}
		if err := s.PublishAssistant(ctx, roomID, chat.KindAssistantDelta, deltaData(replyTo, chunk[:n], offset, askedBy, false)); err != nil {
			s.log.Warn("assistant event not published", "kind", chat.KindAssistantDelta, "room", roomID, "err", err,
				"request_id", torii.RequestID(ctx))
		}
		offset += utf16Len(chunk[:n])
		chunk = chunk[n:]
	}
}

// publishAssistant sends an ephemeral assistant event; a failure is logged
// (the stored reply reaches streams by replay in any case).
func (s *Service) publishAssistant(ctx context.Context, roomID int64, kind string, v map[string]any) {
	data, err := json.Marshal(v)
	if err == nil {
		err = s.PublishAssistant(ctx, roomID, kind, data)
	}
	if err != nil {
		s.log.Warn("assistant event not published", "kind", kind, "room", roomID, "err", err,
			"request_id", torii.RequestID(ctx))
	}
}
