package service

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"time"
	"unicode/utf16"

	"github.com/toriihq/torii"
	"github.com/toriihq/torii/chat"
)

// Replies in flight live in the database too (assistant_runs), so that
// every instance can replay one to a page that reloads, stop it for any
// of the asker's devices, and fail it when the instance running it dies:
//
//   - the run is claimed before the asking message is stored (one per room
//     across instances: a second ask is RATE_LIMITED, as before);
//   - every chunk is written to the run's row before its assistant.delta
//     is published, so a stream that subscribes and then reads the row
//     misses nothing: the row's text, then the live deltas, which carry
//     their offset in the reply so that the page drops what it already has;
//   - the instance renews the run's lease every renewEvery and reads the
//     stop flag then (and at every chunk): a stop asked on another
//     instance takes effect within that time;
//   - a run whose lease passed was abandoned: a sweep on any instance
//     (every lease/2) takes it, stores its text as an incomplete reply and
//     sends assistant.error ASSISTANT_INTERRUPTED, so a crashed instance
//     leaves its room busy for at most 1.5 leases.

var (
	// errRunLost is the cause of a run another instance took over as
	// abandoned: that instance stores and announces it.
	errRunLost = errors.New("assistant: run taken over as abandoned")
)

// renewEvery is how often a run's lease is renewed and its stop flag read.
func (s *Service) renewEvery() time.Duration {
	return min(s.lease()/3, 2*time.Second)
}

func (s *Service) lease() time.Duration {
	if s.opts.Lease > 0 {
		return s.opts.Lease
	}
	return DefaultAssistantLease
}

func newRunID(r io.Reader) (string, error) {
	b := make([]byte, 12)
	if _, err := io.ReadFull(r, b); err != nil {
		return "", err
	}
	return hex.EncodeToString(b), nil
}

// claimRun records run as roomID's reply in flight; another instance's
// live run → RATE_LIMITED (busy), an abandoned one is failed first.
func (s *Service) claimRun(ctx context.Context, roomID int64, run *assistantRun) error {
	now := s.now()
	abandoned, err := s.store.ClaimRun(ctx, torii.AssistantRun{RoomID: roomID, RunID: run.id, UserID: run.userID,
		LeaseUntil: now.Add(s.lease()), StartedAt: now}, now)
	if errors.Is(err, torii.ErrConflict) {
		return errAssistantBusy
	}
	if err != nil {
		return err
	}
	if abandoned != nil {
		s.failAbandoned(ctx, *abandoned)
	}
	return nil
}

// saveRun writes the run's text so far and renews its lease; a stop asked
// elsewhere cancels it, and so does losing it to a sweep.
func (s *Service) saveRun(ctx context.Context, roomID int64, run *assistantRun) {
	run.mu.Lock()
	replyTo, text := run.replyTo, run.text
	run.mu.Unlock()
	stop, err := s.store.UpdateRun(ctx, roomID, run.id, replyTo, text, s.now().Add(s.lease()))
	switch {
	case errors.Is(err, torii.ErrNotFound):
		run.cancel(errRunLost)
	case err != nil:
		if ctx.Err() == nil {
			s.log.Warn("assistant run not saved", "room", roomID, "err", err)
		}
	case stop:
		run.cancel(errStopped)
	}
}

// renewRun keeps the run's lease until done is closed.
func (s *Service) renewRun(roomID int64, run *assistantRun, done <-chan struct{}) {
	t := time.NewTicker(s.renewEvery())
	defer t.Stop()
	for {
		select {
		case <-done:
			return
		case <-run.ctx.Done():
			return
		case <-t.C:
			s.saveRun(run.ctx, roomID, run)
		}
	}
}

// endRun removes the run's row, once, within a bound of its own (it runs
// after the reply's context may have ended).
func (s *Service) endRun(roomID int64, run *assistantRun) {
	run.endOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(run.ctx), replySettle)
		defer cancel()
		if err := s.store.EndRun(ctx, roomID, run.id); err != nil {
			s.log.Warn("assistant run not ended", "room", roomID, "err", err)
		}
	})
}

// failAbandoned ends a run whose instance stopped renewing it: its text
// so far is stored as an incomplete reply and the room hears
// assistant.error ASSISTANT_INTERRUPTED.
func (s *Service) failAbandoned(ctx context.Context, run torii.AssistantRun) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), replySettle)
	defer cancel()
	s.log.Warn("assistant reply abandoned by its instance", "room", run.RoomID, "reply_to", run.ReplyTo, "chars", len(run.Body))
	if run.ReplyTo == 0 {
		return // the asking message was never stored
	}
	if run.Body != "" {
		if _, err := s.PostAssistantReply(ctx, run.RoomID, run.ReplyTo, run.Body, torii.MessageIncomplete); err != nil {
			s.log.Error("abandoned assistant reply not stored", "room", run.RoomID, "err", err)
		}
	}
	s.publishAssistant(ctx, run.RoomID, chat.KindAssistantError, map[string]any{"replyTo": run.ReplyTo,
		"code": torii.AssistantInterrupted, "message": "The reply was cut off: the server answering it stopped."})
}

// SweepAbandonedRuns fails every reply whose lease has passed. Any
// instance may call it; each abandoned reply is failed once.
func (s *Service) SweepAbandonedRuns(ctx context.Context) error {
	runs, err := s.store.TakeAbandonedRuns(ctx, s.now())
	if err != nil {
		return err
	}
	for _, r := range runs {
		s.failAbandoned(ctx, r)
	}
	return nil
}

// RunAssistantSweeper sweeps abandoned replies every half lease until ctx
// ends. app runs it on every instance with the assistant on.
func (s *Service) RunAssistantSweeper(ctx context.Context) {
	t := time.NewTicker(s.lease() / 2)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := s.SweepAbandonedRuns(ctx); err != nil && ctx.Err() == nil {
				s.log.Warn("assistant sweep failed", "err", err)
			}
		}
	}
}

// stopRemote asks the instance running roomID's reply to stop it. Only
// the asker may; no reply in flight is not an error.
func (s *Service) stopRemote(ctx context.Context, p Principal, roomID int64) error {
	run, err := s.store.RunOf(ctx, roomID)
	if errors.Is(err, torii.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if run.UserID != p.User.ID {
		return errStopOthers
	}
	if err := s.store.RequestStop(ctx, roomID); err != nil && !errors.Is(err, torii.ErrNotFound) {
		return err
	}
	return nil
}

// deltaData is an assistant.delta payload: the chunk, its offset in the
// reply in UTF-16 code units (a JavaScript string's length), and who asked
// (their pages show Stop). replay marks the text so far sent to a stream
// that opened mid-reply.
func deltaData(replyTo int64, text string, offset int, askedBy int64, replay bool) []byte {
	v := map[string]any{"replyTo": replyTo, "text": text, "offset": offset, "askedBy": askedBy}
	if replay {
		v["replay"] = true
	}
	b, _ := json.Marshal(v)
	return b
}

// utf16Len is the length of s in a JavaScript string.
func utf16Len(s string) int {
	n := 0
	for _, r := range s {
		n += utf16.RuneLen(r)
	}
	return n
}

// replayRun returns the event that shows a stream opened mid-reply the
// reply so far, or nil when the room has none in flight.
func (s *Service) replayRun(ctx context.Context, roomID int64) (*chat.Event, error) {
	run, err := s.store.RunOf(ctx, roomID)
	if errors.Is(err, torii.ErrNotFound) || (err == nil && run.ReplyTo == 0) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &chat.Event{Kind: chat.KindAssistantDelta, RoomID: roomID,
		Data: deltaData(run.ReplyTo, run.Body, 0, run.UserID, true)}, nil
}
