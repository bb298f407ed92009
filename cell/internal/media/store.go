package media

import (
	"context"
	"fmt"
	"io"

	"gocloud.dev/blob"
	_ "gocloud.dev/blob/fileblob" // file:///path buckets (local cells)
	_ "gocloud.dev/blob/memblob"  // mem:// buckets
	"gocloud.dev/gcerrors"

	"github.com/pushnchat/pushnchat/internal/errs"
)

// Store keeps renditions in the cell's bucket (a local directory by
// default, Cloud Storage in the cell's region in production).
type Store struct {
	bucket *blob.Bucket
}

// OpenStore opens the bucket at url, e.g. "file:///var/lib/pushnchat/media?create_dir=true".
func OpenStore(ctx context.Context, url string) (*Store, error) {
	b, err := blob.OpenBucket(ctx, url)
	if err != nil {
		return nil, fmt.Errorf("media: open bucket: %w", err)
	}
	return &Store{bucket: b}, nil
}

// Put stores data under key.
func (s *Store) Put(ctx context.Context, key string, data []byte) error {
	opts := &blob.WriterOptions{ContentType: ContentType, CacheControl: "public, max-age=31536000, immutable"}
	if err := s.bucket.WriteAll(ctx, key, data, opts); err != nil {
		return fmt.Errorf("media: put %s: %w", key, err)
	}
	return nil
}

// Open returns a reader for key; NotFound when there is none.
func (s *Store) Open(ctx context.Context, key string) (io.ReadCloser, error) {
	r, err := s.bucket.NewReader(ctx, key, nil)
	if gcerrors.Code(err) == gcerrors.NotFound {
		return nil, errs.E(errs.NotFound, "no such photo")
	}
	if err != nil {
		return nil, fmt.Errorf("media: open %s: %w", key, err)
	}
	return r, nil
}

// Delete removes key; a missing key is not an error.
func (s *Store) Delete(ctx context.Context, key string) error {
	if err := s.bucket.Delete(ctx, key); err != nil && gcerrors.Code(err) != gcerrors.NotFound {
		return fmt.Errorf("media: delete %s: %w", key, err)
	}
	return nil
}

// Count returns how many objects the bucket holds (tests compare before
// and after a refused request).
func (s *Store) Count(ctx context.Context) (int, error) {
	n := 0
	it := s.bucket.List(nil)
	for {
		_, err := it.Next(ctx)
		if err == io.EOF {
			return n, nil
		}
		if err != nil {
			return 0, err
		}
		n++
	}
}

// Close releases the bucket.
func (s *Store) Close() error { return s.bucket.Close() }
