package h1

// ChunkScanner follows chunked framing (RFC 9112 §7.1) across reads, to
// find where a chunked body ends.
type ChunkScanner struct {
	state    uint8
	size     int64
	digits   int
	inExt    bool
	trailing bool // the current trailer line has content
}

const (
	chunkSize uint8 = iota
	chunkSizeLF
	chunkData
	chunkDataCR
	chunkDataLF
	chunkTrailer
	chunkTrailerLF
)

// scan consumes b; n is how much of it belongs to the body (all of it
// unless the body ends inside b), done whether it ended, ok false when the
// framing is malformed.
func (c *ChunkScanner) Scan(b []byte) (n int, done, ok bool) {
	for i := 0; i < len(b); i++ {
		ch := b[i]
		switch c.state {
		case chunkSize:
			switch {
			case ch == '\r':
				c.state = chunkSizeLF
			case c.inExt:
			case ch == ';' || ch == ' ' || ch == '\t':
				c.inExt = true
			default:
				v := hexVal(ch)
				if v < 0 || c.digits >= 15 {
					return 0, false, false
				}
				c.size, c.digits = c.size<<4|int64(v), c.digits+1
			}
		case chunkSizeLF:
			if ch != '\n' || c.digits == 0 {
				return 0, false, false
			}
			if c.size == 0 {
				c.state, c.trailing = chunkTrailer, false
			} else {
				c.state = chunkData
			}
		case chunkData:
			take := min(c.size, int64(len(b)-i))
			c.size -= take
			i += int(take) - 1
			if c.size == 0 {
				c.state = chunkDataCR
			}
		case chunkDataCR:
			if ch != '\r' {
				return 0, false, false
			}
			c.state = chunkDataLF
		case chunkDataLF:
			if ch != '\n' {
				return 0, false, false
			}
			*c = ChunkScanner{}
		case chunkTrailer:
			if ch == '\r' {
				c.state = chunkTrailerLF
			} else {
				c.trailing = true
			}
		case chunkTrailerLF:
			if ch != '\n' {
				return 0, false, false
			}
			if !c.trailing {
				return i + 1, true, true
			}
			c.state, c.trailing = chunkTrailer, false
		}
	}
	return len(b), false, true
}

func hexVal(c byte) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case c >= 'a' && c <= 'f':
		return int(c-'a') + 10
	case c >= 'A' && c <= 'F':
		return int(c-'A') + 10
	}
	return -1
}
