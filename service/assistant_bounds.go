package service

import (
	"context"
	"fmt"
	"runtime/debug"
	"time"

	"github.com/toriihq/torii"
	"github.com/toriihq/torii/chat"
)

// settleContext bounds storing and announcing a reply after its stream
// ended: replySettle, and no later than the shutdown's deadline when the
// server is shutting down (one deadline for the whole shutdown).
func (s *Service) settleContext(ctx context.Context) (context.Context, context.CancelFunc) {
	d := time.Now().Add(replySettle)
	a := &s.assistant
	a.mu.Lock()
	if !a.closeBy.IsZero() && a.closeBy.Before(d) {
		d = a.closeBy
	}
	a.mu.Unlock()
	return context.WithDeadline(context.WithoutCancel(ctx), d)
}

// recoverReply ends a reply whose goroutine panicked: the panic is logged
// with its stack and the request id of the message that asked, the room
// hears assistant.error (so no page waits for ever), and the server goes
// on. reply defers it; the slot is released by reply's other defer.
func (s *Service) recoverReply(roomID, askedID int64, run *assistantRun) {
	v := recover()
	if v == nil {
		return
	}
	ctx := run.ctx
	s.log.ErrorContext(ctx, "panic in assistant reply", "panic", fmt.Sprint(v), "room", roomID, "reply_to", askedID,
		"request_id", torii.RequestID(ctx), "stack", string(debug.Stack()))
	s.freeAssistantSlot(roomID, run)
	pctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), replySettle)
	defer cancel()
	s.publishAssistant(pctx, roomID, chat.KindAssistantError, map[string]any{
		"replyTo": askedID, "code": torii.AssistantFailed, "message": "Gemini's reply failed."})
}
