package benchenv

import (
	"encoding/json"
	"os"
	"path/filepath"
)

// WriteResult writes a harness's result file (bench/results/<name>.json,
// the format ../shared/BENCH.md describes), creating its directory.
func WriteResult(path string, result any) error {
	b, err := json.MarshalIndent(result, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}
