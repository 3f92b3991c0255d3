package service

// forgetRoom drops a cached room row: rooms change now (renamed,
// archived, deleted; issue 17), and a change made through this process is
// seen at once, one made elsewhere within the cache's TTL.
func (c *principalCache) forgetRoom(id int64) {
	c.mu.Lock()
	delete(c.rooms, id)
	c.mu.Unlock()
}
