package service

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/toriihq/torii"
	"github.com/toriihq/torii/chat"
)

// Room membership, settings and direct messages (issue 17).

const (
	maxTopicRunes = 250
	// MaxDMPeople bounds a direct conversation, its starter included.
	MaxDMPeople = 8
	// maxPeopleResults bounds a people search.
	maxPeopleResults = 20
)

var (
	errRoomNameTaken = torii.Errorf(torii.ERoomNameTaken, "A room with this name already exists.")
	errRoomArchived  = torii.Errorf(torii.ERoomArchived, "This room is archived: unarchive it to write in it.")
	errNotRoomOwner  = torii.Errorf(torii.EForbidden, "Only the room's owner or an administrator may do this.")
	errDMFixed       = torii.Errorf(torii.EForbidden, "A direct conversation's members cannot change.")
	errGroupRoom     = torii.Errorf(torii.EForbidden, "A group room's members are the group's members.")
	errNoSuchPerson  = torii.Errorf(torii.ENotFound, "There is no such person.")
	errNotMember     = torii.Errorf(torii.ENotFound, "This person is not a member of the room.")
	errAlreadyMember = torii.Errorf(torii.EConflict, "This person is already a member of the room.")
)

// Member is a room member as the member list shows them.
type Member struct {
	UserID    int64
	Name      string
	AvatarURL string
	Owner     bool
	Online    bool
}

// RoomPatch is PATCH /api/v1/rooms/{id}: nil fields are left alone.
type RoomPatch struct {
	Name     *string
	Topic    *string
	Archived *bool
}

// mayManageRoom: the room's owner, or an administrator; nobody for a direct
// conversation (it has no owner, and admins have no access to it).
func mayManageRoom(p Principal, r torii.Room) bool {
	if r.IsDM() {
		return false
	}
	return p.IsAdmin() || (r.OwnerID != nil && *r.OwnerID == p.User.ID)
}

// validRoomName trims and checks a room name, adding to f.
func validRoomName(name string, f fieldErrors) string {
	name = strings.TrimSpace(name)
	switch {
	case name == "":
		f["name"] = "is required"
	case utf8.RuneCountInString(name) > maxRoomNameRunes:
		f["name"] = "must be at most 80 characters"
	case strings.IndexFunc(name, unicode.IsControl) >= 0:
		f["name"] = "must not contain control characters"
	}
	return name
}

// publishLog wakes the user streams (and the room's streams) for a log row
// just committed. A failed publish is logged: the row is stored, and
// streams find it at their next wake-up or reconnect.
func (s *Service) publishLog(ctx context.Context, roomID, userID int64, kind string, messageID int64) {
	e := chat.Event{Kind: chat.KindLog, RoomID: roomID, UserID: userID, Log: kind, MessageID: messageID}
	if err := s.broker.Publish(context.WithoutCancel(ctx), e); err != nil {
		s.log.Warn("chat publish failed", "room", roomID, "log", kind, "err", err)
	}
}

// RoomMembers lists the members of a room p can see, with who is online
// now. A group room's members are its group's. Who is online is shown to
// the room's members only (presence is for people who share a room or a
// group): a reader of a public room they have not joined sees only
// themselves online.
func (s *Service) RoomMembers(ctx context.Context, p Principal, roomID int64) ([]Member, error) {
	r, err := s.Room(ctx, p, roomID)
	if err != nil {
		return nil, err
	}
	out, err := s.membersOf(ctx, r)
	if err != nil {
		return nil, err
	}
	ids := make([]int64, len(out))
	for i := range out {
		ids[i] = out[i].UserID
	}
	if slices.ContainsFunc(out, func(m Member) bool { return m.UserID == p.User.ID }) {
		online, err := s.online(ctx, ids)
		if err != nil {
			return nil, err
		}
		for i := range out {
			out[i].Online = slices.Contains(online, out[i].UserID)
		}
	}
	return out, nil
}

// membersOf lists r's members (a group room's are its group's), its owner
// marked, without presence.
func (s *Service) membersOf(ctx context.Context, r torii.Room) ([]Member, error) {
	var out []Member
	if r.Visibility == torii.RoomGroup && r.GroupID != nil {
		gms, err := s.store.GroupMembers(ctx, *r.GroupID)
		if err != nil {
			return nil, err
		}
		for _, gm := range gms {
			u, err := s.store.UserByID(ctx, gm.UserID)
			if errors.Is(err, torii.ErrNotFound) {
				continue
			}
			if err != nil {
				return nil, err
			}
			out = append(out, Member{UserID: u.ID, Name: u.Name, AvatarURL: u.AvatarURL})
		}
	} else {
		ms, err := s.store.RoomMembers(ctx, r.ID)
		if err != nil {
			return nil, err
		}
		for _, m := range ms {
			out = append(out, Member{UserID: m.UserID, Name: m.Name, AvatarURL: m.AvatarURL})
		}
	}
	for i := range out {
		out[i].Owner = r.OwnerID != nil && *r.OwnerID == out[i].UserID
	}
	if out == nil {
		out = []Member{}
	}
	return out, nil
}

// AddRoomMember makes userID a member of roomID. The owner or an admin
// invites anyone they may see into a public or private room; anyone may
// join a public room themselves. Group rooms follow their group and
// direct conversations never change (FORBIDDEN).
func (s *Service) AddRoomMember(ctx context.Context, p Principal, roomID, userID int64, meta Meta) error {
	r, err := s.Room(ctx, p, roomID)
	if err != nil {
		return err
	}
	switch {
	case r.IsDM():
		return errDMFixed
	case r.Visibility == torii.RoomGroup:
		return errGroupRoom
	case userID == p.User.ID && r.Visibility == torii.RoomPublic:
		// Joining a public room: anyone who can see it.
	case !mayManageRoom(p, r):
		return errNotRoomOwner
	case userID != p.User.ID:
		if ok, err := s.mayReach(ctx, p, userID); err != nil {
			return err
		} else if !ok {
			return errNoSuchPerson
		}
	}
	err = s.store.AddRoomMember(ctx, r.ID, userID, s.now().UTC())
	switch {
	case errors.Is(err, torii.ErrConflict):
		return errAlreadyMember
	case errors.Is(err, torii.ErrNotFound):
		return errNoSuchPerson
	case err != nil:
		return err
	}
	s.audit(ctx, torii.AuditRoomMemberAdd, &p.User.ID, p.User.Email, meta, map[string]any{"roomId": r.ID, "memberId": userID})
	s.publishLog(ctx, r.ID, userID, torii.ChatRoomAdd, 0)
	return nil
}

// mayReach reports whether p may invite or write to userID: one of the
// people p may see (a shared group or room), or anyone active for an
// administrator.
func (s *Service) mayReach(ctx context.Context, p Principal, userID int64) (bool, error) {
	if p.IsAdmin() && userID != p.User.ID {
		u, err := s.store.UserByID(ctx, userID)
		if errors.Is(err, torii.ErrNotFound) {
			return false, nil
		}
		return err == nil && u.Status == torii.StatusActive, err
	}
	return s.store.CanSeePerson(ctx, p.User.ID, userID)
}

// RemoveRoomMember ends userID's membership of roomID: the owner or an
// admin removes anyone, a member removes themselves (leaves). The removed
// member's streams stop at once: their user streams stop receiving the
// room, their room streams end.
func (s *Service) RemoveRoomMember(ctx context.Context, p Principal, roomID, userID int64, meta Meta) error {
	r, err := s.Room(ctx, p, roomID)
	if err != nil {
		return err
	}
	switch {
	case r.IsDM():
		return errDMFixed
	case r.Visibility == torii.RoomGroup:
		return errGroupRoom
	case userID != p.User.ID && !mayManageRoom(p, r):
		return errNotRoomOwner
	}
	err = s.store.RemoveRoomMember(ctx, r.ID, userID, s.now().UTC())
	if errors.Is(err, torii.ErrNotFound) {
		return errNotMember
	}
	if err != nil {
		return err
	}
	s.audit(ctx, torii.AuditRoomMemberRemove, &p.User.ID, p.User.Email, meta, map[string]any{"roomId": r.ID, "memberId": userID})
	s.publishLog(ctx, r.ID, userID, torii.ChatRoomRemove, 0)
	return nil
}

// UpdateRoom renames, sets the topic of, or (un)archives a room: its owner
// or an admin.
func (s *Service) UpdateRoom(ctx context.Context, p Principal, roomID int64, in RoomPatch, meta Meta) (torii.Room, error) {
	r, err := s.Room(ctx, p, roomID)
	if err != nil {
		return torii.Room{}, err
	}
	if !mayManageRoom(p, r) {
		return torii.Room{}, errNotRoomOwner
	}
	f := fieldErrors{}
	if in.Name != nil {
		*in.Name = validRoomName(*in.Name, f)
	}
	if in.Topic != nil {
		*in.Topic = strings.TrimSpace(*in.Topic)
		switch {
		case utf8.RuneCountInString(*in.Topic) > maxTopicRunes:
			f["topic"] = "must be at most 250 characters"
		case strings.IndexFunc(*in.Topic, unicode.IsControl) >= 0:
			f["topic"] = "must not contain control characters"
		}
	}
	if err := f.err(); err != nil {
		return torii.Room{}, err
	}
	if in.Name != nil {
		cand := r
		cand.Name = *in.Name
		if taken, err := s.store.RoomNameTaken(ctx, cand, r.ID); err != nil {
			return torii.Room{}, err
		} else if taken {
			return torii.Room{}, errRoomNameTaken
		}
	}
	changed := map[string]any{"roomId": r.ID}
	out, err := s.store.UpdateRoom(ctx, r.ID, s.now().UTC(), func(x *torii.Room) error {
		if in.Name != nil && *in.Name != x.Name {
			x.Name, changed["name"] = *in.Name, true
		}
		if in.Topic != nil && *in.Topic != x.Topic {
			x.Topic, changed["topic"] = *in.Topic, true
		}
		if in.Archived != nil && *in.Archived != x.Archived {
			x.Archived, changed["archived"] = *in.Archived, *in.Archived
		}
		return nil
	})
	switch {
	case errors.Is(err, torii.ErrConflict):
		return torii.Room{}, errRoomNameTaken
	case errors.Is(err, torii.ErrNotFound):
		return torii.Room{}, errRoomNotFound
	case err != nil:
		return torii.Room{}, err
	}
	s.cache.forgetRoom(r.ID)
	if r.Assistant && changed["name"] != nil {
		s.keepName(ctx, r.ID) // assistant_title.go
	}
	s.audit(ctx, torii.AuditRoomUpdate, &p.User.ID, p.User.Email, meta, changed)
	s.publishLog(ctx, r.ID, 0, torii.ChatRoomUpdate, 0)
	return out, nil
}

// DeleteRoom deletes a room and its messages: its owner or an admin.
// Every stream of the room ends, and user streams hear room.remove.
func (s *Service) DeleteRoom(ctx context.Context, p Principal, roomID int64, meta Meta) error {
	r, err := s.Room(ctx, p, roomID)
	if err != nil {
		return err
	}
	if !mayManageRoom(p, r) {
		return errNotRoomOwner
	}
	if err := s.store.DeleteRoom(ctx, r.ID, s.now().UTC()); errors.Is(err, torii.ErrNotFound) {
		return errRoomNotFound
	} else if err != nil {
		return err
	}
	s.cache.forgetRoom(r.ID)
	s.views.clear() // its messages' text is gone
	s.audit(ctx, torii.AuditRoomDelete, &p.User.ID, p.User.Email, meta, map[string]any{"roomId": r.ID, "name": r.Name})
	s.publishLog(ctx, r.ID, 0, torii.ChatRoomRemove, 0)
	return nil
}

// OpenDM returns the direct conversation of p with exactly userIDs (p is
// added if missing), creating it (created=true) if there is none. Each
// other person must be one p may see (NOT_FOUND otherwise, so that ids are
// not probed); at most MaxDMPeople people in all.
func (s *Service) OpenDM(ctx context.Context, p Principal, userIDs []int64) (torii.Room, bool, error) {
	if err := p.WaitingErr(); err != nil {
		return torii.Room{}, false, err
	}
	ids := []int64{p.User.ID}
	for _, id := range userIDs {
		if !slices.Contains(ids, id) {
			ids = append(ids, id)
		}
	}
	switch {
	case len(ids) < 2:
		return torii.Room{}, false, torii.Invalid(map[string]string{"userIds": "must name at least one other person"})
	case len(ids) > MaxDMPeople:
		return torii.Room{}, false, torii.Invalid(map[string]string{"userIds": "must name at most 7 other people"})
	}
	for _, id := range ids[1:] {
		ok, err := s.store.CanSeePerson(ctx, p.User.ID, id)
		if err != nil {
			return torii.Room{}, false, err
		}
		if !ok {
			return torii.Room{}, false, errNoSuchPerson
		}
	}
	slices.Sort(ids)
	key := make([]string, len(ids))
	for i, id := range ids {
		key[i] = strconv.FormatInt(id, 10)
	}
	dmKey := strings.Join(key, ",")
	if r, err := s.store.DMByKey(ctx, dmKey); err == nil {
		return r, false, nil
	} else if !errors.Is(err, torii.ErrNotFound) {
		return torii.Room{}, false, err
	}
	if err := allowCreate(s.opts.RoomsPerUser, &p.User.ID, "rooms"); err != nil {
		return torii.Room{}, false, err
	}
	r, created, err := s.store.CreateDM(ctx, torii.Room{Visibility: torii.RoomPrivate, DMKey: dmKey,
		CreatedBy: &p.User.ID, CreatedAt: s.now().UTC()}, ids)
	if err != nil {
		return torii.Room{}, false, err
	}
	if created {
		s.publishLog(ctx, r.ID, 0, torii.ChatRoomAdd, 0)
	}
	return r, created, nil
}

// DMMembers returns the people of direct conversation r (for its name in
// the room list).
func (s *Service) DMMembers(ctx context.Context, r torii.Room) ([]Author, error) {
	ms, err := s.store.RoomMembers(ctx, r.ID)
	if err != nil {
		return nil, err
	}
	out := make([]Author, len(ms))
	for i, m := range ms {
		out[i] = Author{ID: m.UserID, Name: m.Name, AvatarURL: m.AvatarURL}
	}
	return out, nil
}

// People searches the people p may see (PeopleVisibleTo: active users who
// share a group or a room with p) by name or e-mail, at most 20.
func (s *Service) People(ctx context.Context, p Principal, q string, limit int) ([]torii.User, error) {
	if err := p.WaitingErr(); err != nil {
		return nil, err
	}
	q = strings.TrimSpace(q)
	if len(q) > 100 {
		return nil, torii.Invalid(map[string]string{"q": "must be at most 100 bytes"})
	}
	if limit <= 0 || limit > maxPeopleResults {
		limit = maxPeopleResults
	}
	return s.store.PeopleVisibleTo(ctx, p.User.ID, q, limit)
}
