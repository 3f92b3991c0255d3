package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/toriihq/torii"
)

// RecordUsage implements torii.AssistantStore.
func (s *Store) RecordUsage(ctx context.Context, u torii.AssistantUsage) (torii.AssistantUsage, error) {
	if u.CreatedAt.IsZero() {
		u.CreatedAt = s.now()
	}
	u.CreatedAt = ts(u.CreatedAt)
	if u.SourcesJSON == "" {
		u.SourcesJSON = "[]"
	}
	var userID, roomID any
	if u.UserID != 0 {
		userID = u.UserID
	}
	if u.RoomID != 0 {
		roomID = u.RoomID
	}
	err := s.writer().queryRow(ctx, `INSERT INTO assistant_usage (user_id, room_id, message_id, model,
		prompt_tokens, output_tokens, thoughts_tokens, total_tokens, sources, day, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		userID, roomID, u.MessageID, u.Model, u.PromptTokens, u.OutputTokens, u.ThoughtsTokens, u.TotalTokens,
		u.SourcesJSON, u.CreatedAt.Format(time.DateOnly), s.f.t(u.CreatedAt)).Scan(&u.ID)
	return u, s.f.err("record usage", err)
}

// TokensUsed implements torii.AssistantStore: one range scan of the
// (user_id, created_at) index from the start of the month.
func (s *Store) TokensUsed(ctx context.Context, userID int64, day, month time.Time) (int64, int64, error) {
	var d, m int64
	err := s.reader().queryRow(ctx, `SELECT
		COALESCE(SUM(CASE WHEN created_at >= ? THEN total_tokens ELSE 0 END), 0),
		COALESCE(SUM(total_tokens), 0)
		FROM assistant_usage WHERE user_id = ? AND created_at >= ?`,
		s.f.t(day), userID, s.f.t(month)).Scan(&d, &m)
	return d, m, s.f.err("tokens used", err)
}

// UsageReport implements torii.AssistantStore.
func (s *Store) UsageReport(ctx context.Context, f torii.UsageFilter) ([]torii.UsageRow, error) {
	key, join := "", ""
	switch f.By {
	case torii.UsageByUser:
		key = "u.user_id"
	case torii.UsageByModel:
		key = "u.model"
	case torii.UsageByDay:
		key = "u.day"
	case torii.UsageByGroup:
		key, join = "gm.group_id", " JOIN group_members gm ON gm.user_id = u.user_id"
	default:
		return nil, torii.Invalid(map[string]string{"by": "must be user, group, model or day"})
	}
	where := []string{"u.created_at >= ?", "u.created_at < ?"}
	args := []any{s.f.t(f.From), s.f.t(f.To)}
	if f.UserID != nil {
		where = append(where, "u.user_id = ?")
		args = append(args, *f.UserID)
	}
	if f.By == torii.UsageByUser {
		where = append(where, "u.user_id IS NOT NULL")
	}
	rows, err := s.reader().query(ctx, `SELECT `+key+`, COUNT(*), COALESCE(SUM(u.prompt_tokens), 0),
		COALESCE(SUM(u.output_tokens), 0), COALESCE(SUM(u.total_tokens), 0)
		FROM assistant_usage u`+join+` WHERE `+strings.Join(where, " AND ")+`
		GROUP BY `+key+` ORDER BY `+key, args...)
	if err != nil {
		return nil, s.f.err("usage report", err)
	}
	defer rows.Close()
	out := []torii.UsageRow{}
	for rows.Next() {
		var r torii.UsageRow
		var k any
		if err := rows.Scan(&k, &r.Requests, &r.PromptTokens, &r.OutputTokens, &r.TotalTokens); err != nil {
			return nil, s.f.err("usage report", err)
		}
		switch v := k.(type) {
		case int64:
			r.Key = strconv.FormatInt(v, 10)
		case []byte:
			r.Key = string(v)
		default:
			r.Key = fmt.Sprint(v)
		}
		out = append(out, r)
	}
	return out, s.f.err("usage report", rows.Err())
}

// UsageOfMessages implements torii.AssistantStore.
func (s *Store) UsageOfMessages(ctx context.Context, ids []int64) (map[int64]torii.AssistantUsage, error) {
	out := map[int64]torii.AssistantUsage{}
	if len(ids) == 0 {
		return out, nil
	}
	marks := strings.TrimSuffix(strings.Repeat("?,", len(ids)), ",")
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	rows, err := s.reader().query(ctx, `SELECT id, COALESCE(user_id, 0), COALESCE(room_id, 0), message_id, model,
		prompt_tokens, output_tokens, thoughts_tokens, total_tokens, sources, created_at
		FROM assistant_usage WHERE message_id IN (`+marks+`)`, args...)
	if err != nil {
		return nil, s.f.err("usage of messages", err)
	}
	defer rows.Close()
	for rows.Next() {
		var u torii.AssistantUsage
		if err := rows.Scan(&u.ID, &u.UserID, &u.RoomID, &u.MessageID, &u.Model, &u.PromptTokens, &u.OutputTokens,
			&u.ThoughtsTokens, &u.TotalTokens, &u.SourcesJSON, timeCol{&u.CreatedAt}); err != nil {
			return nil, s.f.err("usage of messages", err)
		}
		out[*u.MessageID] = u
	}
	return out, s.f.err("usage of messages", rows.Err())
}

// SetUserQuota implements torii.AssistantStore.
func (s *Store) SetUserQuota(ctx context.Context, userID int64, q torii.TokenQuota) error {
	return s.setQuota(ctx, "assistant_user_quotas", "user_id", userID, q)
}

// SetGroupQuota implements torii.AssistantStore.
func (s *Store) SetGroupQuota(ctx context.Context, groupID int64, q torii.TokenQuota) error {
	return s.setQuota(ctx, "assistant_group_quotas", "group_id", groupID, q)
}

func (s *Store) setQuota(ctx context.Context, table, col string, id int64, q torii.TokenQuota) error {
	if q.Daily == nil && q.Monthly == nil {
		_, err := s.writer().exec(ctx, `DELETE FROM `+table+` WHERE `+col+` = ?`, id)
		return s.f.err("set quota", err)
	}
	_, err := s.writer().exec(ctx, `INSERT INTO `+table+` (`+col+`, daily, monthly) VALUES (?, ?, ?)
		ON CONFLICT (`+col+`) DO UPDATE SET daily = excluded.daily, monthly = excluded.monthly`, id, q.Daily, q.Monthly)
	return s.f.err("set quota", err)
}

// QuotasOf implements torii.AssistantStore.
func (s *Store) QuotasOf(ctx context.Context, userID int64) (*torii.TokenQuota, []torii.TokenQuota, error) {
	var own *torii.TokenQuota
	var q torii.TokenQuota
	err := s.reader().queryRow(ctx, `SELECT daily, monthly FROM assistant_user_quotas WHERE user_id = ?`, userID).Scan(&q.Daily, &q.Monthly)
	switch {
	case err == nil:
		own = &q
	case !errors.Is(err, sql.ErrNoRows):
		return nil, nil, s.f.err("quotas of", err)
	}
	rows, err := s.reader().query(ctx, `SELECT q.daily, q.monthly FROM assistant_group_quotas q
		JOIN group_members gm ON gm.group_id = q.group_id WHERE gm.user_id = ? ORDER BY q.group_id`, userID)
	if err != nil {
		return nil, nil, s.f.err("quotas of", err)
	}
	defer rows.Close()
	groups := []torii.TokenQuota{}
	for rows.Next() {
		var g torii.TokenQuota
		if err := rows.Scan(&g.Daily, &g.Monthly); err != nil {
			return nil, nil, s.f.err("quotas of", err)
		}
		groups = append(groups, g)
	}
	return own, groups, s.f.err("quotas of", rows.Err())
}

// QuotaOverrides implements torii.AssistantStore.
func (s *Store) QuotaOverrides(ctx context.Context) ([]torii.QuotaOverride, error) {
	rows, err := s.reader().query(ctx, `SELECT 'user', user_id, daily, monthly FROM assistant_user_quotas
		UNION ALL SELECT 'group', group_id, daily, monthly FROM assistant_group_quotas ORDER BY 1 DESC, 2`)
	if err != nil {
		return nil, s.f.err("quota overrides", err)
	}
	defer rows.Close()
	out := []torii.QuotaOverride{}
	for rows.Next() {
		var o torii.QuotaOverride
		if err := rows.Scan(&o.Subject, &o.ID, &o.Daily, &o.Monthly); err != nil {
			return nil, s.f.err("quota overrides", err)
		}
		out = append(out, o)
	}
	return out, s.f.err("quota overrides", rows.Err())
}

// RoomAssistant implements torii.AssistantStore.
func (s *Store) RoomAssistant(ctx context.Context, roomID int64) (torii.RoomAssistant, error) {
	r := torii.RoomAssistant{RoomID: roomID}
	err := s.reader().queryRow(ctx, `SELECT model, system_prompt, grounding FROM assistant_rooms WHERE room_id = ?`, roomID).
		Scan(&r.Model, &r.SystemPrompt, &r.Grounding)
	if errors.Is(err, sql.ErrNoRows) {
		return r, nil
	}
	return r, s.f.err("room assistant", err)
}

// SetRoomAssistant implements torii.AssistantStore.
func (s *Store) SetRoomAssistant(ctx context.Context, r torii.RoomAssistant) error {
	_, err := s.writer().exec(ctx, `INSERT INTO assistant_rooms (room_id, model, system_prompt, grounding) VALUES (?, ?, ?, ?)
		ON CONFLICT (room_id) DO UPDATE SET model = excluded.model, system_prompt = excluded.system_prompt, grounding = excluded.grounding`,
		r.RoomID, r.Model, r.SystemPrompt, r.Grounding)
	return s.f.err("set room assistant", err)
}

// ModelGroups implements torii.AssistantStore.
func (s *Store) ModelGroups(ctx context.Context) (map[string][]int64, error) {
	rows, err := s.reader().query(ctx, `SELECT model, group_id FROM assistant_model_groups ORDER BY model, group_id`)
	if err != nil {
		return nil, s.f.err("model groups", err)
	}
	defer rows.Close()
	out := map[string][]int64{}
	for rows.Next() {
		var m string
		var g int64
		if err := rows.Scan(&m, &g); err != nil {
			return nil, s.f.err("model groups", err)
		}
		out[m] = append(out[m], g)
	}
	return out, s.f.err("model groups", rows.Err())
}

// SetModelGroups implements torii.AssistantStore: the list is replaced in
// one transaction.
func (s *Store) SetModelGroups(ctx context.Context, model string, groupIDs []int64) error {
	return s.inTx(ctx, func(c conn) error {
		if _, err := c.exec(ctx, `DELETE FROM assistant_model_groups WHERE model = ?`, model); err != nil {
			return s.f.err("set model groups", err)
		}
		for _, g := range groupIDs {
			if _, err := c.exec(ctx, `INSERT INTO assistant_model_groups (model, group_id) VALUES (?, ?)
				ON CONFLICT DO NOTHING`, model, g); err != nil {
				return s.f.err("set model groups", err)
			}
		}
		return nil
	})
}

const runCols = `room_id, run_id, user_id, reply_to, body, stop_requested, lease_until, started_at`

func scanRun(sc scanner) (torii.AssistantRun, error) {
	var r torii.AssistantRun
	err := sc.Scan(&r.RoomID, &r.RunID, &r.UserID, &r.ReplyTo, &r.Body, &r.StopRequested,
		timeCol{&r.LeaseUntil}, timeCol{&r.StartedAt})
	return r, err
}

// ClaimRun implements torii.AssistantStore. Two instances claiming one room
// at once both insert; the primary key lets one win (ErrConflict for the
// other).
func (s *Store) ClaimRun(ctx context.Context, run torii.AssistantRun, now time.Time) (*torii.AssistantRun, error) {
	var abandoned *torii.AssistantRun
	err := s.inTx(ctx, func(c conn) error {
		old, err := scanRun(c.queryRow(ctx, `SELECT `+runCols+` FROM assistant_runs WHERE room_id = ?`+s.f.forUpdate, run.RoomID))
		switch {
		case err == nil && old.LeaseUntil.After(now):
			return torii.ErrConflict
		case err == nil:
			abandoned = &old
			if _, err := c.exec(ctx, `DELETE FROM assistant_runs WHERE room_id = ?`, run.RoomID); err != nil {
				return s.f.err("claim run", err)
			}
		case !errors.Is(err, sql.ErrNoRows):
			return s.f.err("claim run", err)
		}
		_, err = c.exec(ctx, `INSERT INTO assistant_runs (`+runCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
			run.RoomID, run.RunID, run.UserID, run.ReplyTo, run.Body, false, s.f.t(run.LeaseUntil), s.f.t(run.StartedAt))
		return s.f.err("claim run", err)
	})
	if err != nil {
		return nil, err
	}
	return abandoned, nil
}

// UpdateRun implements torii.AssistantStore.
func (s *Store) UpdateRun(ctx context.Context, roomID int64, runID string, replyTo int64, body string, leaseUntil time.Time) (bool, error) {
	var stop bool
	err := s.writer().queryRow(ctx, `UPDATE assistant_runs SET reply_to = ?, body = ?, lease_until = ?
		WHERE room_id = ? AND run_id = ? RETURNING stop_requested`,
		replyTo, body, s.f.t(leaseUntil), roomID, runID).Scan(&stop)
	return stop, s.f.err("update run", err)
}

// EndRun implements torii.AssistantStore.
func (s *Store) EndRun(ctx context.Context, roomID int64, runID string) error {
	_, err := s.writer().exec(ctx, `DELETE FROM assistant_runs WHERE room_id = ? AND run_id = ?`, roomID, runID)
	return s.f.err("end run", err)
}

// RunOf implements torii.AssistantStore.
func (s *Store) RunOf(ctx context.Context, roomID int64) (torii.AssistantRun, error) {
	r, err := scanRun(s.reader().queryRow(ctx, `SELECT `+runCols+` FROM assistant_runs WHERE room_id = ?`, roomID))
	return r, s.f.err("run of", err)
}

// RequestStop implements torii.AssistantStore.
func (s *Store) RequestStop(ctx context.Context, roomID int64) error {
	res, err := s.writer().exec(ctx, `UPDATE assistant_runs SET stop_requested = ? WHERE room_id = ?`, true, roomID)
	return s.changed("request stop", res, err)
}

// TakeAbandonedRuns implements torii.AssistantStore: DELETE … RETURNING
// hands each row to one caller, whichever instance sweeps first.
func (s *Store) TakeAbandonedRuns(ctx context.Context, now time.Time) ([]torii.AssistantRun, error) {
	rows, err := s.writer().query(ctx, `DELETE FROM assistant_runs WHERE lease_until < ? RETURNING `+runCols, s.f.t(now))
	if err != nil {
		return nil, s.f.err("take abandoned runs", err)
	}
	defer rows.Close()
	out := []torii.AssistantRun{}
	for rows.Next() {
		r, err := scanRun(rows)
		if err != nil {
			return nil, s.f.err("take abandoned runs", err)
		}
		out = append(out, r)
	}
	return out, s.f.err("take abandoned runs", rows.Err())
}
