package supervise

import "bytes"

// stampFormat is supervisord's log time format (its "%Y-%m-%d %H:%M:%S,mmm").
const stampFormat = "2006-01-02 15:04:05,000 "

// writeStamped is writeLines for Log.Timestamps: each complete line (the held unfinished
// line and the lines of p) goes out with the time of this chunk in front, all as one write;
// an unfinished end is held as usual (up to maxPartial, then written stamped as it is).
func (c *capture) writeStamped(p []byte) {
	data := p
	if len(c.partial) > 0 {
		data = append(c.partial, p...)
	}
	end := bytes.LastIndexByte(data, '\n') + 1
	rest := data[end:]
	if len(rest) >= maxPartial {
		end, rest = len(data), nil
	}
	if end > 0 {
		stamp := c.sv.clock.Now().AppendFormat(nil, stampFormat)
		buf := make([]byte, 0, end+bytes.Count(data[:end], []byte{'\n'})*len(stamp)+len(stamp))
		for line := data[:end]; len(line) > 0; {
			n := bytes.IndexByte(line, '\n') + 1
			if n == 0 {
				n = len(line)
			}
			buf = append(append(buf, stamp...), line[:n]...)
			line = line[n:]
		}
		c.file.Write(buf)
	}
	held := append([]byte(nil), rest...)
	c.resetPartial()
	c.partial = append(c.partial, held...)
}
