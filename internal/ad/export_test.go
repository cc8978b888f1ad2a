package ad

// DropConnection closes the client's connection under it, as a network drop would.
func DropConnection(c *Client) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.conn != nil {
		_ = c.conn.Close()
	}
}

// FirstRDN exposes firstRDN to the tests.
var FirstRDN = firstRDN
