package cpserver

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/pushnchat/pushnchat/internal/membershipfeed"
	"github.com/pushnchat/pushnchat/internal/servicetoken"
)

// followMemberships keeps the directory's person → cells entries true for
// one cell: it reads the cell's membership feed from where the directory
// stands, long-polling, and applies each page in one transaction with the
// new position, until ctx ends. A cell that cannot be reached is asked
// again after a pause that grows to 10 s; nothing is lost meanwhile, the
// feed waits in the cell.
func (s *Server) followMemberships(ctx context.Context, cell string) {
	client := &http.Client{Timeout: membershipfeed.MaxWait + 10*time.Second}
	pause := time.Duration(0)
	for ctx.Err() == nil {
		if pause > 0 {
			select {
			case <-ctx.Done():
				return
			case <-time.After(pause):
			}
		}
		err := s.followOnce(ctx, client, cell)
		if err == nil {
			pause = 0
			continue
		}
		if ctx.Err() == nil {
			s.log.Warn("membership feed unavailable; will ask again", "cell", cell, "err", err)
		}
		pause = min(max(2*pause, 500*time.Millisecond), 10*time.Second)
	}
}

// followOnce reads and applies one page of cell's feed.
func (s *Server) followOnce(ctx context.Context, client *http.Client, cell string) error {
	c, ok := s.cells.get(cell)
	if !ok {
		return fmt.Errorf("unknown cell %s", cell)
	}
	after, err := s.dir.FeedPosition(ctx, cell)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet,
		c.URL+membershipfeed.Path+"?wait=25s&after="+strconv.FormatInt(after, 10), nil)
	if err != nil {
		return err
	}
	servicetoken.Set(req, s.cfg.ServiceToken)
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("membership feed: %s", resp.Status)
	}
	var page membershipfeed.Page
	if err := json.NewDecoder(resp.Body).Decode(&page); err != nil {
		return err
	}
	if len(page.Changes) == 0 {
		return nil
	}
	return s.dir.ApplyMemberships(ctx, cell, page)
}
