package service

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/toriihq/torii"
)

// Quota rules (docs/api.md "Gemini for a team"):
//
//   - A user's budget in each period (the UTC day, the UTC calendar month)
//     is, when the user has an override for that period, that override:
//     a per-user override is the last word, lower or higher.
//   - Otherwise it is the most generous of the server's default
//     (TORII_ASSISTANT_QUOTA_DAILY / _MONTHLY) and the overrides of the
//     user's groups for that period; 0 is no limit, the most generous of
//     all. So a group override can only raise the default.
//   - A request is refused, before Gemini is called, when the tokens
//     already used in a period reach its budget. The request that crosses
//     the budget is served (its cost is known only after it), and the one
//     after it is refused.

// maxQuota bounds an override (a trillion tokens: no limit in practice).
const maxQuota = 1_000_000_000_000

// Quota is a user's effective budgets (0: no limit) and what they used.
type Quota struct {
	Daily, Monthly         int64
	UsedToday, UsedMonth   int64
	DayResets, MonthResets time.Time
}

// periods returns the start of now's UTC day and month, and when they end.
func periods(now time.Time) (day, nextDay, month, nextMonth time.Time) {
	now = now.UTC()
	day = time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	month = time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC)
	return day, day.AddDate(0, 0, 1), month, month.AddDate(0, 1, 0)
}

// effectiveQuota applies the rules above to one period.
func effectiveQuota(def int64, own *int64, groups []*int64) int64 {
	if own != nil {
		return *own
	}
	best := def
	for _, g := range groups {
		if g == nil {
			continue
		}
		if *g == 0 || best == 0 {
			best = 0
			continue
		}
		best = max(best, *g)
	}
	return best
}

// quotaOf returns userID's budgets and, when any is set, the usage.
func (s *Service) quotaOf(ctx context.Context, userID int64) (Quota, error) {
	own, groups, err := s.store.QuotasOf(ctx, userID)
	if err != nil {
		return Quota{}, err
	}
	var ownD, ownM *int64
	if own != nil {
		ownD, ownM = own.Daily, own.Monthly
	}
	var gd, gm []*int64
	for _, g := range groups {
		gd, gm = append(gd, g.Daily), append(gm, g.Monthly)
	}
	day, nextDay, month, nextMonth := periods(s.now())
	q := Quota{Daily: effectiveQuota(s.opts.QuotaDaily, ownD, gd), Monthly: effectiveQuota(s.opts.QuotaMonthly, ownM, gm),
		DayResets: nextDay, MonthResets: nextMonth}
	q.UsedToday, q.UsedMonth, err = s.store.TokensUsed(ctx, userID, day, month)
	return q, err
}

// checkQuota refuses p's request with ASSISTANT_QUOTA_EXCEEDED when a
// budget is spent; Retry-After is the time until it resets.
func (s *Service) checkQuota(ctx context.Context, p Principal) error {
	q, err := s.quotaOf(ctx, p.User.ID)
	if err != nil {
		return err
	}
	now := s.now()
	if q.Monthly > 0 && q.UsedMonth >= q.Monthly {
		return quotaError("this month", q.Monthly, q.MonthResets, now)
	}
	if q.Daily > 0 && q.UsedToday >= q.Daily {
		return quotaError("today", q.Daily, q.DayResets, now)
	}
	return nil
}

func quotaError(period string, budget int64, resets, now time.Time) error {
	return &torii.Error{Code: torii.EAssistantQuotaExceeded, RetryAfter: resets.Sub(now),
		Message: fmt.Sprintf("You have used your Gemini budget for %s (%d tokens). It resets at %s (in %s).",
			period, budget, resets.UTC().Format("2006-01-02 15:04 UTC"), roundWait(resets.Sub(now)))}
}

// roundWait says a wait in hours and minutes.
func roundWait(d time.Duration) string {
	d = d.Round(time.Minute)
	if d < time.Minute {
		return "less than a minute"
	}
	h, m := int(d/time.Hour), int(d%time.Hour/time.Minute)
	switch {
	case h == 0:
		return fmt.Sprintf("%d min", m)
	case m == 0:
		return fmt.Sprintf("%d h", h)
	}
	return fmt.Sprintf("%d h %d min", h, m)
}

// MyQuota returns p's budgets and usage.
func (s *Service) MyQuota(ctx context.Context, p Principal) (Quota, error) {
	return s.quotaOf(ctx, p.User.ID)
}

// QuotaInput is an override: nil leaves a period to the other rules.
type QuotaInput struct {
	Daily, Monthly *int64
}

func (in QuotaInput) validate() error {
	f := fieldErrors{}
	for name, v := range map[string]*int64{"daily": in.Daily, "monthly": in.Monthly} {
		if v != nil && (*v < 0 || *v > maxQuota) {
			f[name] = "must be a number of tokens from 0 (no limit) to 10^12, or null"
		}
	}
	return f.err()
}

// SetUserQuota sets user id's override (both nil: removes it). Admins only;
// NOT_FOUND for a missing user.
func (s *Service) SetUserQuota(ctx context.Context, by Actor, id int64, in QuotaInput) error {
	if err := needAdmin(by); err != nil {
		return err
	}
	if err := in.validate(); err != nil {
		return err
	}
	if _, err := s.store.UserByID(ctx, id); err != nil {
		return err
	}
	if err := s.store.SetUserQuota(ctx, id, torii.TokenQuota{Daily: in.Daily, Monthly: in.Monthly}); err != nil {
		return err
	}
	s.auditQuota(ctx, by, "user", id, in)
	return nil
}

// SetGroupQuota sets group id's override (both nil: removes it). Admins
// only; NOT_FOUND for a missing group.
func (s *Service) SetGroupQuota(ctx context.Context, by Actor, id int64, in QuotaInput) error {
	if err := needAdmin(by); err != nil {
		return err
	}
	if err := in.validate(); err != nil {
		return err
	}
	if _, err := s.store.GroupByID(ctx, id); err != nil {
		return err
	}
	if err := s.store.SetGroupQuota(ctx, id, torii.TokenQuota{Daily: in.Daily, Monthly: in.Monthly}); err != nil {
		return err
	}
	s.auditQuota(ctx, by, "group", id, in)
	return nil
}

// QuotaOverrides lists every override. Admins only.
func (s *Service) QuotaOverrides(ctx context.Context, by Actor) ([]torii.QuotaOverride, error) {
	if err := needAdmin(by); err != nil {
		return nil, err
	}
	return s.store.QuotaOverrides(ctx)
}

// UsageQuery is a usage report's range and dimension as the API gives
// them: From and To are UTC dates (YYYY-MM-DD), both included, or RFC
// 3339 times ([From, To)); empty From is 30 days before To, empty To is
// the end of today (UTC). By defaults to "day".
type UsageQuery struct {
	From, To, By string
}

// maxUsageRange bounds a report's range.
const maxUsageRange = 400 * 24 * time.Hour

func (s *Service) usageFilter(q UsageQuery) (torii.UsageFilter, error) {
	f := torii.UsageFilter{By: q.By}
	if f.By == "" {
		f.By = torii.UsageByDay
	}
	fields := fieldErrors{}
	var err error
	_, f.To, _, _ = periods(s.now()) // the end of today
	if q.To != "" {
		if f.To, err = parseUsageTime(q.To, true); err != nil {
			fields["to"] = "must be a date (YYYY-MM-DD) or an RFC 3339 time"
		}
	}
	f.From = f.To.Add(-30 * 24 * time.Hour)
	if q.From != "" {
		if f.From, err = parseUsageTime(q.From, false); err != nil {
			fields["from"] = "must be a date (YYYY-MM-DD) or an RFC 3339 time"
		}
	}
	switch f.By {
	case torii.UsageByUser, torii.UsageByGroup, torii.UsageByModel, torii.UsageByDay:
	default:
		fields["by"] = "must be user, group, model or day"
	}
	if len(fields) == 0 && (f.To.Before(f.From) || f.To.Sub(f.From) > maxUsageRange) {
		fields["to"] = "must be after from, at most 400 days"
	}
	return f, fields.err()
}

// parseUsageTime reads a date (a whole UTC day: its start, or the next
// day's start when it ends a range) or an RFC 3339 time.
func parseUsageTime(v string, end bool) (time.Time, error) {
	if d, err := time.Parse(time.DateOnly, v); err == nil {
		if end {
			d = d.AddDate(0, 0, 1)
		}
		return d, nil
	}
	t, err := time.Parse(time.RFC3339, v)
	return t.UTC(), err
}

// UsageLine is a report row with a label for people: the user's email,
// the group's name (empty for the model and day, whose key says it).
type UsageLine struct {
	torii.UsageRow
	Label string
}

// AdminUsage reports everyone's usage. Admins only.
func (s *Service) AdminUsage(ctx context.Context, by Actor, q UsageQuery) ([]UsageLine, error) {
	if err := needAdmin(by); err != nil {
		return nil, err
	}
	f, err := s.usageFilter(q)
	if err != nil {
		return nil, err
	}
	return s.usage(ctx, f)
}

// MyUsage reports p's own usage (by model or day; user and group are the
// same one row).
func (s *Service) MyUsage(ctx context.Context, p Principal, q UsageQuery) ([]UsageLine, error) {
	f, err := s.usageFilter(q)
	if err != nil {
		return nil, err
	}
	f.UserID = &p.User.ID
	return s.usage(ctx, f)
}

func (s *Service) usage(ctx context.Context, f torii.UsageFilter) ([]UsageLine, error) {
	rows, err := s.store.UsageReport(ctx, f)
	if err != nil {
		return nil, err
	}
	out := make([]UsageLine, len(rows))
	for i, r := range rows {
		out[i].UsageRow = r
		id, _ := strconv.ParseInt(r.Key, 10, 64)
		switch f.By {
		case torii.UsageByUser:
			if u, err := s.store.UserByID(ctx, id); err == nil {
				out[i].Label = u.Email
			} else if !errors.Is(err, torii.ErrNotFound) {
				return nil, err
			}
		case torii.UsageByGroup:
			if g, err := s.store.GroupByID(ctx, id); err == nil {
				out[i].Label = g.Name
			} else if !errors.Is(err, torii.ErrNotFound) {
				return nil, err
			}
		}
	}
	return out, nil
}

// QuotaDefaults returns the server's default budgets (0: no limit).
func (s *Service) QuotaDefaults() (daily, monthly int64) {
	return s.opts.QuotaDaily, s.opts.QuotaMonthly
}

// auditQuota records a budget change (assistant.quota.set): whose, and
// the new values (null: no override for that period).
func (s *Service) auditQuota(ctx context.Context, by Actor, subject string, id int64, in QuotaInput) {
	s.audit(ctx, torii.AuditAssistantQuota, by.UserID, by.Email, by.Meta,
		map[string]any{"subject": subject, "id": id, "daily": in.Daily, "monthly": in.Monthly})
}
