package service

import (
	"context"
	"time"

	"github.com/toriihq/torii"
)

// accessEvents are the audit events of rules that may shrink a user's
// access; each names the affected user, except allowlist.remove.
var accessEvents = []string{
	torii.AuditUserStatus, torii.AuditUserRoles, torii.AuditLogout, torii.AuditSessionRevoke,
	torii.AuditPasswordChange, torii.AuditTokenReuse, torii.AuditAllowlistRemove, torii.AuditGroupMemberRemove,
}

// WatchAccessLog follows the audit log every interval until ctx ends, and
// applies the access changes it finds as accessChanged does. It is for
// SQLite, where another process on the same file (`torii user set-status`,
// `torii allow rm`) cannot reach this one's in-process broker: without it
// such a change would reach open event streams only at their next
// heartbeat. PostgreSQL needs none: its broker carries the change itself.
// Changes made by this process are seen again, which costs a re-check.
func (s *Service) WatchAccessLog(ctx context.Context, interval time.Duration) {
	last, err := s.lastAuditID(ctx)
	if err != nil && ctx.Err() == nil {
		s.log.Warn("access watch: reading the audit log failed", "err", err)
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		last, err = s.applyAccessLog(ctx, last)
		if err != nil && ctx.Err() == nil {
			s.log.Warn("access watch: reading the audit log failed", "err", err)
		}
	}
}

func (s *Service) lastAuditID(ctx context.Context) (int64, error) {
	newest, err := s.store.ListAudit(ctx, torii.AuditFilter{Limit: 1})
	if err != nil || len(newest) == 0 {
		return 0, err
	}
	return newest[0].ID, nil
}

// applyAccessLog applies the access events after id last and returns the
// id to continue from. Each user is told once, however many rows name
// them.
func (s *Service) applyAccessLog(ctx context.Context, last int64) (int64, error) {
	users := map[int64]bool{}
	allowlist := false
	for {
		page, err := s.store.ListAudit(ctx, torii.AuditFilter{Forward: true, After: last, Events: accessEvents, Limit: maxListLimit})
		if err != nil {
			return last, err
		}
		for _, e := range page {
			last = e.ID
			switch {
			case e.Event == torii.AuditAllowlistRemove:
				allowlist = true
			case e.UserID != nil:
				users[*e.UserID] = true
			}
		}
		if len(page) < maxListLimit {
			break
		}
	}
	if allowlist {
		s.allowlistChanged(ctx)
	}
	for id := range users {
		s.accessChanged(ctx, id)
	}
	return last, nil
}
