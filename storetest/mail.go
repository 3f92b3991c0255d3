package storetest

import (
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/toriihq/torii"
)

// mailTests check the outbox and the e-mail verification tokens.
var mailTests = []test{
	{"EnqueueMail_BoundsAreChecked", testEnqueueMailBounds},
	{"ClaimMail_LeasesDueMailsOnce", testClaimMailLeases},
	{"ClaimMail_ExpiredLeaseIsClaimedAgain", testClaimMailExpiredLease},
	{"ClaimMail_ConcurrentClaimersNeverShareAMail", testClaimMailConcurrent},
	{"MarkMailSent_ClearsBodiesAndIsNeverClaimedAgain", testMarkMailSent},
	{"MarkMailFailed_SchedulesRetryOrGivesUp", testMarkMailFailed},
	{"PruneMail_DropsOnlyFinishedMail", testPruneMail},
	{"CreateEmailVerification_TokenAndMailCommitTogether", testCreateVerificationAtomic},
	{"ConsumeEmailVerification_VerifiesOnceWithinTTL", testConsumeVerification},
	{"ConsumeEmailVerification_OnlyForTheAddressItWasSentTo", testConsumeVerificationAddress},
}

func mailTo(to string, due time.Time) torii.OutboxMail {
	return torii.OutboxMail{Kind: "test", To: to, Subject: "Hello", Text: "text " + to, HTML: "<p>" + to + "</p>", CreatedAt: due, NextAttemptAt: due}
}

func mailIDs(list []torii.OutboxMail) []int64 {
	return ids(list, func(x torii.OutboxMail) int64 { return x.ID })
}

func testEnqueueMailBounds(t *testing.T, s torii.Store) {
	ctx := t.Context()
	long := strings.Repeat("x", torii.MaxMailBody+1)
	for name, m := range map[string]torii.OutboxMail{
		"to":      {Kind: "k", Subject: "s", Text: "t"},
		"subject": {Kind: "k", To: "a@example.com", Text: "t"},
		"text":    {Kind: "k", To: "a@example.com", Subject: "s", Text: long},
		"html":    {Kind: "k", To: "a@example.com", Subject: "s", Text: "t", HTML: long},
	} {
		_, err := s.EnqueueMail(ctx, m)
		hasCode(t, err, torii.EValidation)
		var e *torii.Error
		if err != nil && (!errors.As(err, &e) || e.Fields[name] == "") {
			t.Errorf("%s: error %v does not name the field", name, err)
		}
	}
	claimed := must[[]torii.OutboxMail](t)(s.ClaimMail(ctx, at(time.Hour), at(2*time.Hour), 10))
	if len(claimed) != 0 {
		t.Errorf("refused mails were stored: %v", mailIDs(claimed))
	}
}

func testClaimMailLeases(t *testing.T, s torii.Store) {
	ctx := t.Context()
	a := must[torii.OutboxMail](t)(s.EnqueueMail(ctx, mailTo("a@example.com", t0)))
	b := must[torii.OutboxMail](t)(s.EnqueueMail(ctx, mailTo("b@example.com", at(time.Second))))
	later := must[torii.OutboxMail](t)(s.EnqueueMail(ctx, mailTo("later@example.com", at(time.Hour))))
	now := at(time.Minute)
	got := must[[]torii.OutboxMail](t)(s.ClaimMail(ctx, now, now.Add(10*time.Minute), 1))
	same(t, "first claim (limit 1, oldest due first)", mailIDs(got), []int64{a.ID})
	if got[0].Attempts != 1 || got[0].LeaseUntil == nil || !got[0].LeaseUntil.Equal(now.Add(10*time.Minute)) || got[0].Text != a.Text {
		t.Errorf("claimed mail = %+v", got[0])
	}
	got = must[[]torii.OutboxMail](t)(s.ClaimMail(ctx, now, now.Add(10*time.Minute), 10))
	same(t, "second claim (a is leased, later not due)", mailIDs(got), []int64{b.ID})
	got = must[[]torii.OutboxMail](t)(s.ClaimMail(ctx, now, now.Add(10*time.Minute), 10))
	same(t, "third claim", mailIDs(got), []int64{})
	_ = later
}

func testClaimMailExpiredLease(t *testing.T, s torii.Store) {
	ctx := t.Context()
	a := must[torii.OutboxMail](t)(s.EnqueueMail(ctx, mailTo("a@example.com", t0)))
	must[[]torii.OutboxMail](t)(s.ClaimMail(ctx, t0, at(10*time.Minute), 10))
	// The instance that claimed it died: once the lease is over, another
	// claims it and the attempt is counted again.
	got := must[[]torii.OutboxMail](t)(s.ClaimMail(ctx, at(10*time.Minute), at(20*time.Minute), 10))
	same(t, "claimed after the lease", mailIDs(got), []int64{a.ID})
	if len(got) == 1 && got[0].Attempts != 2 {
		t.Errorf("attempts = %d, want 2", got[0].Attempts)
	}
}

// testClaimMailConcurrent: claimers racing (separate connections, as
// separate instances) each get a disjoint share of the mails.
func testClaimMailConcurrent(t *testing.T, s torii.Store) {
	ctx := t.Context()
	const n = 30
	for i := range n {
		must[torii.OutboxMail](t)(s.EnqueueMail(ctx, mailTo("m"+string(rune('a'+i%26))+"@example.com", t0)))
	}
	var mu sync.Mutex
	seen := map[int64]int{}
	claim := func() {
		for {
			got, err := s.ClaimMail(ctx, at(time.Minute), at(time.Hour), 3)
			if err != nil {
				t.Error(err)
				return
			}
			if len(got) == 0 {
				return
			}
			mu.Lock()
			for _, m := range got {
				seen[m.ID]++
			}
			mu.Unlock()
		}
	}
	together(claim, claim, claim, claim)
	if len(seen) != n {
		t.Errorf("%d mails claimed, want %d", len(seen), n)
	}
	for id, c := range seen {
		if c != 1 {
			t.Errorf("mail %d claimed %d times", id, c)
		}
	}
}

func testMarkMailSent(t *testing.T, s torii.Store) {
	ctx := t.Context()
	a := must[torii.OutboxMail](t)(s.EnqueueMail(ctx, mailTo("a@example.com", t0)))
	must[[]torii.OutboxMail](t)(s.ClaimMail(ctx, t0, at(time.Minute), 10))
	ok(t, s.MarkMailSent(ctx, a.ID, at(time.Second)))
	got := must[torii.OutboxMail](t)(s.OutboxMailByID(ctx, a.ID))
	if got.SentAt == nil || !got.SentAt.Equal(at(time.Second)) || got.Text != "" || got.HTML != "" || got.LeaseUntil != nil {
		t.Errorf("sent mail = %+v", got)
	}
	claimed := must[[]torii.OutboxMail](t)(s.ClaimMail(ctx, at(time.Hour), at(2*time.Hour), 10))
	same(t, "claim after sent", mailIDs(claimed), []int64{})
	is(t, s.MarkMailSent(ctx, 1<<40, t0), torii.ErrNotFound)
}

func testMarkMailFailed(t *testing.T, s torii.Store) {
	ctx := t.Context()
	a := must[torii.OutboxMail](t)(s.EnqueueMail(ctx, mailTo("a@example.com", t0)))
	must[[]torii.OutboxMail](t)(s.ClaimMail(ctx, t0, at(10*time.Minute), 10))
	ok(t, s.MarkMailFailed(ctx, a.ID, at(time.Second), at(5*time.Minute), "451 try later", false))
	// The lease is released but the retry is not due before its time.
	same(t, "claim before the retry", mailIDs(must[[]torii.OutboxMail](t)(s.ClaimMail(ctx, at(4*time.Minute), at(time.Hour), 10))), []int64{})
	got := must[[]torii.OutboxMail](t)(s.ClaimMail(ctx, at(5*time.Minute), at(time.Hour), 10))
	same(t, "claim at the retry", mailIDs(got), []int64{a.ID})
	if len(got) == 1 && (got[0].LastError != "451 try later" || got[0].Attempts != 2) {
		t.Errorf("retried mail = %+v", got[0])
	}
	ok(t, s.MarkMailFailed(ctx, a.ID, at(6*time.Minute), at(7*time.Minute), strings.Repeat("e", 5000), true))
	same(t, "claim after giving up", mailIDs(must[[]torii.OutboxMail](t)(s.ClaimMail(ctx, at(24*time.Hour), at(25*time.Hour), 10))), []int64{})
	m := must[torii.OutboxMail](t)(s.OutboxMailByID(ctx, a.ID))
	if m.FailedAt == nil || !m.FailedAt.Equal(at(6*time.Minute)) || len(m.LastError) > 1000 {
		t.Errorf("given-up mail: failedAt %v, error of %d bytes", m.FailedAt, len(m.LastError))
	}
}

func testPruneMail(t *testing.T, s torii.Store) {
	ctx := t.Context()
	sent := must[torii.OutboxMail](t)(s.EnqueueMail(ctx, mailTo("sent@example.com", t0)))
	failed := must[torii.OutboxMail](t)(s.EnqueueMail(ctx, mailTo("failed@example.com", t0)))
	pending := must[torii.OutboxMail](t)(s.EnqueueMail(ctx, mailTo("pending@example.com", at(time.Hour))))
	must[[]torii.OutboxMail](t)(s.ClaimMail(ctx, t0, at(time.Minute), 10))
	ok(t, s.MarkMailSent(ctx, sent.ID, t0))
	ok(t, s.MarkMailFailed(ctx, failed.ID, t0, t0, "x", true))
	n := must[int64](t)(s.PruneMail(ctx, at(time.Second)))
	if n != 2 {
		t.Errorf("pruned %d, want 2", n)
	}
	must[torii.OutboxMail](t)(s.OutboxMailByID(ctx, pending.ID))
	_, err := s.OutboxMailByID(ctx, sent.ID)
	is(t, err, torii.ErrNotFound)
}

func verification(id string, u torii.User) torii.EmailVerification {
	return torii.EmailVerification{ID: id, UserID: u.ID, Email: u.Email, CreatedAt: t0, ExpiresAt: at(24 * time.Hour)}
}

func testCreateVerificationAtomic(t *testing.T, s torii.Store) {
	ctx := t.Context()
	u := newUser(t, s, "ann@example.com")
	ok(t, s.CreateEmailVerification(ctx, verification("h1", u), mailTo(u.Email, t0)))
	// A refused mail leaves no token; a taken token id queues no mail.
	err := s.CreateEmailVerification(ctx, verification("h2", u), torii.OutboxMail{Kind: "test", To: u.Email})
	hasCode(t, err, torii.EValidation)
	is(t, s.CreateEmailVerification(ctx, verification("h1", u), mailTo(u.Email, t0)), torii.ErrConflict)
	gone := newUser(t, s, "gone@example.com")
	deleteUser(t, s, gone.ID, at(time.Minute))
	is(t, s.CreateEmailVerification(ctx, verification("h3", gone), mailTo(gone.Email, t0)), torii.ErrNotFound)
	claimed := must[[]torii.OutboxMail](t)(s.ClaimMail(ctx, at(time.Hour), at(2*time.Hour), 10))
	if len(claimed) != 1 || claimed[0].To != u.Email {
		t.Errorf("queued mails = %+v, want the one of h1", claimed)
	}
	_, err = s.ConsumeEmailVerification(ctx, "h2", at(time.Minute))
	is(t, err, torii.ErrNotFound)
}

func testConsumeVerification(t *testing.T, s torii.Store) {
	ctx := t.Context()
	u := newUser(t, s, "ann@example.com")
	ok(t, s.CreateEmailVerification(ctx, verification("h1", u), mailTo(u.Email, t0)))
	ok(t, s.CreateEmailVerification(ctx, verification("h2", u), mailTo(u.Email, t0)))
	_, err := s.ConsumeEmailVerification(ctx, "h2", at(24*time.Hour))
	is(t, err, torii.ErrNotFound) // expired: valid strictly before ExpiresAt
	_, err = s.ConsumeEmailVerification(ctx, "unknown", at(time.Minute))
	is(t, err, torii.ErrNotFound)
	if got := must[torii.User](t)(s.UserByID(ctx, u.ID)); got.EmailVerified {
		t.Fatal("verified by an expired or unknown token")
	}
	got := must[torii.User](t)(s.ConsumeEmailVerification(ctx, "h1", at(time.Minute)))
	if !got.EmailVerified || got.ID != u.ID {
		t.Errorf("consumed: %+v", got)
	}
	if got := must[torii.User](t)(s.UserByID(ctx, u.ID)); !got.EmailVerified {
		t.Error("email_verified not stored")
	}
	_, err = s.ConsumeEmailVerification(ctx, "h1", at(2*time.Minute))
	is(t, err, torii.ErrNotFound) // single use
	n := must[int64](t)(s.DeleteExpiredEmailVerifications(ctx, at(25*time.Hour)))
	if n != 2 {
		t.Errorf("deleted %d expired tokens, want 2", n)
	}
}

func testConsumeVerificationAddress(t *testing.T, s torii.Store) {
	ctx := t.Context()
	u := newUser(t, s, "ann@example.com")
	ok(t, s.CreateEmailVerification(ctx, verification("h1", u), mailTo(u.Email, t0)))
	must[torii.User](t)(s.UpdateUser(ctx, u.ID, func(x *torii.User) error { x.Email = "ann@other.example"; return nil }))
	_, err := s.ConsumeEmailVerification(ctx, "h1", at(time.Minute))
	is(t, err, torii.ErrNotFound)
	if got := must[torii.User](t)(s.UserByID(ctx, u.ID)); got.EmailVerified {
		t.Error("a token for the old address verified the new one")
	}
}
